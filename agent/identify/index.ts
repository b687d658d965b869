/**
 * Device identification: a declarative signature library (fingerprints/*.yaml) and the engine that
 * turns a device's evidence into vendor, model, category, OS, firmware, software and medical status,
 * with a confidence and the reasoning behind each field. Pure: no database, no I/O after loading.
 */
export { loadLibrary, loadCategoryIds, builtinFingerprintsDir, formatLibraryError, STRING_FIELDS } from './library.js';
export type { Library, LibraryError, LoadOptions, CompiledSignature, CategoryInfo, OverrideEntry, StringField } from './library.js';
export { classify, capConfidence, sharedFactsKey, DERIVED_MAX_CONFIDENCE, STABILITY_MARGIN, MEDICAL_IDENTITY_MIN_CONFIDENCE } from './engine.js';
export type { Classification, FieldResult, SignatureHit, Alternative, PreviousClassification, ClassifyOptions, OverrideInfo } from './engine.js';
export { explain } from './explain.js';
export { checkLibrary } from './check.js';
export type { CheckReport } from './check.js';
export { factsFromDevice, factsFromExample } from './facts.js';
export type { Facts, DeviceFacts } from './facts.js';
export type { MatchedFact } from './conditions.js';
export { signatureFileJsonSchema } from './schema.js';
export type { Criticality } from './schema.js';
