// The contract lives in shared/contract/ (split by domain); this keeps the existing import paths.
export * from './contract/index.js';
