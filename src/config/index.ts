/**
 * Settings: one zod schema declares every key; values are layered
 * defaults < repo `.gitctx/config.yml` < user `~/.gitctx/config.yml` < env `GITCTX_SECTION__KEY` < flags,
 * each layer validated on its own so an error names the file or variable that holds the bad value.
 * `gitctx config` edits the two files in place (comments kept) and shows values with their source,
 * secrets masked.
 */
export { settingsSchema, SETTING_KEYS, SECRET_KEYS, USER_ONLY_SECTIONS, USER_ONLY_KEYS, MAX_FILE_BYTES_CEILING, findSettingKey } from './schema.js';
export type { Settings, SettingKey, SettingKind } from './schema.js';
export { SETTING_DOCS, settingDoc } from './docs.js';
export type { SettingDoc, SettingName } from './docs.js';
export {
  resolveSettings,
  settingsFromEnv,
  flattenSettingsDocument,
  parseSettingString,
  validateSetting,
  settingValue,
  describeAllowed,
  requireSettingKey,
  unknownSettingError,
  envNameOf,
  envVariableFor,
  ENV_ALIASES,
} from './resolve.js';
export type { ResolvedSettings, SettingsLayer, SettingSource } from './resolve.js';
export { loadSettings, readSettingsFile, assertPrivate, userConfigDir, userConfigPath, repoConfigPath } from './load.js';
export type { LoadSettingsOptions } from './load.js';
export { configTemplate, yamlInline } from './template.js';
export type { SettingsScope } from './template.js';
export { setSettingInText, unsetSettingInText } from './edit.js';
export type { SetSettingResult, UnsetSettingResult } from './edit.js';
export { writeSettingsText, settingsFileExists } from './files.js';
export { readSettingsText } from './load.js';
export { shownValue, formatValue, formatSettingValue, settingEntries, fileEntries, formatSettingsTable } from './show.js';
export type { SettingEntry, SettingOrigins } from './show.js';
export { ENDPOINT_SETTINGS, approvalRequest, endpointRequest, endpointName, keyMayBeSent, hubTokenMayBeSent, describeRequest } from './endpoints.js';
export type { EndpointRequest } from './endpoints.js';
export { APPROVALS_FILE, approvalsPath, readApprovals, approve, revoke, requireApprovedEndpoint, approveCommand, EndpointNotApprovedError } from './approvals.js';
export type { Approval } from './approvals.js';
export { remoteIndexOf, remoteIndexFor, storageCredentialsMayBeSent, storageSecrets, assertRepoStorageOptions, maskStorageOptions, isSecretStorageOption, REPO_STORAGE_OPTIONS } from './storage.js';
