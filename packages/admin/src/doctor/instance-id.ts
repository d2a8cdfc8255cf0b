// This host's EC2 instance id, from what the hypervisor tells the guest, never from IMDS
// (which only the metadata proxy should use).
import { readFile } from 'node:fs/promises'

// Nitro instances (every current type) carry their id in the DMI board asset tag.
export const ASSET_TAG = '/sys/devices/virtual/dmi/id/board_asset_tag'
const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/

export async function localInstanceId (path: string = ASSET_TAG): Promise<string | undefined> {
  const text = await readFile(path, 'utf8').catch(() => '')
  const id = text.trim()
  return INSTANCE_ID.test(id) ? id : undefined
}
