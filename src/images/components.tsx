import { initials } from './cards.ts';
import { imagePath, type StoredImage } from './store.ts';

/** Sizes avatars come in; each has its class in style.css (no inline styles: the CSP forbids them). */
export type AvatarSize = 16 | 20 | 64 | 72;

/**
 * A person's or organization's picture as this site keeps it, or their initials when it keeps
 * none (yet): never a broken image, never a request to another site.
 */
export function Avatar({ image, name, size, round = false }: { image: StoredImage | undefined; name: string; size: AvatarSize; round?: boolean }) {
  const cls = `avatar-pic avatar-${size}${round ? ' round' : ''}`;
  if (image) return <img class={cls} src={imagePath(image)} alt="" width={size} height={size} loading="lazy" decoding="async" />;
  return (
    <span class={`${cls} initials`} aria-hidden="true">
      {initials(name)}
    </span>
  );
}

/** A paper's picture: its kept thumbnail, else its typographic card (`/images/papers/{id}.svg`). */
export function paperPicture(paperId: string, thumbnail: StoredImage | undefined): { src: string; width: number; height: number } {
  if (thumbnail) return { src: imagePath(thumbnail), width: thumbnail.width, height: thumbnail.height };
  return { src: `/images/papers/${paperId}.svg`, width: 1200, height: 630 };
}
