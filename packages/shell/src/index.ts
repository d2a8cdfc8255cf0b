// The public entry of @bastion/shell, for the integration suite and later packages.
export { ShellConfigSchema, type ShellConfig } from './config/schema.ts'
export { loadShellConfig } from './config/load.ts'
export { codes, ShellError } from './errors.ts'
export { containerName } from './container/name.ts'
export { LABEL_USER, LABEL_IMAGE, LABEL_CONFIG, LABEL_AGENT } from './container/spec.ts'
export { agentDir } from './container/agent-binary.ts'
export { sessionEnv } from './session/env.ts'
export { encode, encodeJson, FrameDecoder, FRAME_TYPES, MAX_PAYLOAD, type Frame, type FrameType } from './protocol/frame.ts'
