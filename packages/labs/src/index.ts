export * from './model.ts';
export { LabFormatError, parseLab, type LabProblem } from './parse-lab.ts';
export { findLab, labsDirectory, loadLabs } from './load-labs.ts';
export { loadTemplates, SessionTemplateSchema, templatesDirectory, type SessionTemplate, type TemplateInstance } from './templates.ts';
