export { parseProject, formatIssues, projectFileNames } from './parse.js';
export type { ParseProjectOptions } from './parse.js';
export { projectFileSchema, sourceInputSchema } from './schema.js';
export type { ProjectFile, ResolvedProject, SourceInput } from './schema.js';
export { resolveString, resolveVariables } from './variables.js';
export type { VariableContext } from './variables.js';
