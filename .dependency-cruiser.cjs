/* global module */
// The layer check of docs/decisions/012-layers.md: no folder of src/ needs one that needs it back.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-folder-cycle',
      severity: 'error',
      comment: 'A folder of src/ depends on one that depends on it back: move the shared piece down a layer (docs/decisions/012-layers.md).',
      scope: 'folder',
      from: { path: '^src/' },
      to: { path: '^src/', circular: true },
    },
  ],
  options: {
    // Tests sit beside the code but stand above every layer: they may start the whole app.
    exclude: { path: '\\.test\\.tsx?$' },
    doNotFollow: { path: 'node_modules' },
    // `import type` is a dependency too: a type moves with its module.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
