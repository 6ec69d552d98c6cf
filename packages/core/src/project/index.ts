export { parseProject, formatIssues, projectFileNames } from './parse.js';
export type { ParseProjectOptions } from './parse.js';
export { checkProjectShape } from './schema.js';
export type { ProjectFile, ProjectIssue, ResolvedProject, SourceInput } from './schema.js';
export { resolveString, resolveVariables } from './variables.js';
export type { VariableContext } from './variables.js';
