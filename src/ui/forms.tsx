import type { Child } from 'hono/jsx';

/** Problems with a submitted form, by field name (`form` for the form as a whole). */
export type FormErrors = Record<string, string>;

interface FieldProps {
  name: string;
  label: string;
  type?: string;
  value?: string;
  autocomplete?: string;
  required?: boolean;
  hint?: string;
  errors?: FormErrors;
  minlength?: number;
  maxlength?: number;
  autofocus?: boolean;
  /** Say "(optional)" beside the label of a field that is not required (default true). */
  markOptional?: boolean;
}

/** A labelled input with its hint and its error beside it, tied together for screen readers. */
export function Field({ name, label, type = 'text', value, autocomplete, required, hint, errors, minlength, maxlength, autofocus, markOptional = true }: FieldProps) {
  const error = errors?.[name];
  const described = [hint && `${name}-hint`, error && `${name}-error`].filter(Boolean).join(' ') || undefined;
  return (
    <div class={error ? 'field has-error' : 'field'}>
      <label for={`f-${name}`}>
        {label}
        {!required && markOptional && <span class="optional"> (optional)</span>}
      </label>
      <input
        id={`f-${name}`}
        name={name}
        type={type}
        value={type === 'password' ? undefined : value}
        autocomplete={autocomplete}
        required={required}
        minlength={minlength}
        maxlength={maxlength}
        autofocus={autofocus}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={described}
      />
      {hint && (
        <p class="field-hint" id={`${name}-hint`}>
          {hint}
        </p>
      )}
      {error && (
        <p class="field-error" id={`${name}-error`}>
          {error}
        </p>
      )}
    </div>
  );
}

/** The error about the whole form, announced when the page loads. */
export function FormAlert({ errors }: { errors?: FormErrors }) {
  if (!errors?.form) return null;
  return (
    <div class="form-alert" role="alert">
      {errors.form}
    </div>
  );
}

/** A narrow centred panel for sign-in and sign-up. */
export function AuthPanel({ title, lead, children }: { title: string; lead?: Child; children: Child }) {
  return (
    <section class="auth-panel">
      <h1>{title}</h1>
      {lead && <p class="muted auth-lead">{lead}</p>}
      {children}
    </section>
  );
}

export function CsrfField({ token }: { token: string }) {
  return <input type="hidden" name="_csrf" value={token} />;
}
