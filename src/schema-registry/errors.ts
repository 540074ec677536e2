/**
 * Confluent Schema Registry errors: an HTTP status and Confluent's numeric error_code, which
 * serializers and tools branch on (40401 subject not found, 409 incompatible, ...). The
 * messages follow Confluent's wording where clients or people are known to match on them.
 */
export class RegistryError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'RegistryError';
  }
}

export const subjectNotFound = (subject: string) => new RegistryError(404, 40401, `Subject '${subject}' not found.`);
export const versionNotFound = (version: number | string) => new RegistryError(404, 40402, `Version ${version} not found.`);
export const schemaNotFound = (what = 'Schema not found') => new RegistryError(404, 40403, what);
export const subjectSoftDeleted = (subject: string) =>
  new RegistryError(404, 40404, `Subject '${subject}' was soft deleted.Set permanent=true to delete permanently`);
export const subjectNotSoftDeleted = (subject: string) =>
  new RegistryError(404, 40405, `Subject '${subject}' was not deleted first before being permanently deleted`);
export const versionSoftDeleted = (subject: string, version: number) =>
  new RegistryError(404, 40406, `Subject '${subject}' Version ${version} was soft deleted.Set permanent=true to delete permanently`);
export const versionNotSoftDeleted = (subject: string, version: number) =>
  new RegistryError(404, 40407, `Subject '${subject}' Version ${version} was not deleted first before being permanently deleted`);
export const subjectConfigNotFound = (subject: string) =>
  new RegistryError(404, 40408, `Subject '${subject}' does not have subject-level compatibility configured`);
export const subjectModeNotFound = (subject: string) =>
  new RegistryError(404, 40409, `Subject '${subject}' does not have subject-level mode configured`);
export const invalidSchema = (message: string) => new RegistryError(422, 42201, message);
export const invalidVersion = (version: string) =>
  new RegistryError(
    422,
    42202,
    `The specified version '${version}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string "latest"`,
  );
export const invalidCompatibilityLevel = () =>
  new RegistryError(
    422,
    42203,
    'Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive',
  );
export const invalidMode = () => new RegistryError(422, 42204, 'Invalid mode. Valid values are READWRITE, READONLY, READONLY_OVERRIDE and IMPORT.');
export const operationNotPermitted = (message: string) => new RegistryError(422, 42205, message);
export const referenceExists = (message: string) => new RegistryError(422, 42206, message);
export const invalidRequest = (message: string) => new RegistryError(422, 422, message);
export const incompatibleSchema = (subject: string, messages: string[]) =>
  new RegistryError(
    409,
    409,
    `Schema being registered is incompatible with an earlier schema for subject "${subject}", details: [${messages.join(', ')}]`,
  );
