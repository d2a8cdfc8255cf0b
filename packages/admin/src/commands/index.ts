// The subcommands of `bastion`, in the order --help lists them. Each module exports
// register(program: Command), which adds its command(s) to the program.
import type { Command } from 'commander'
import { register as setup } from './setup.ts'
import { register as doctor } from './doctor.ts'
import { register as image } from './image.ts'
import { register as kubeconfig } from './kubeconfig.ts'
import { register as audit } from './audit.ts'
import { register as users } from './users.ts'
import { register as ship } from './ship.ts'

export type Register = (program: Command) => void

export const commands: Register[] = [
  setup,
  doctor,
  image,
  kubeconfig,
  audit,
  users,
  ship,
]
