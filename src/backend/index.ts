// Backend selection lives here; see src/backend/select.ts.
export * from './select.js';
