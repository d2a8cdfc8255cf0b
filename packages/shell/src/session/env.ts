// Which of the client's environment variables reach the container: the terminal type and
// the locale, and nothing that could change how a program loads or who it acts as.
const ENV_ALLOW = /^(TERM|LANG|LC_[A-Z_]+)$/

export function sessionEnv (env: Readonly<Record<string, unknown>>): string[] {
  return Object.entries(env)
    .filter((e): e is [string, string] => ENV_ALLOW.test(e[0]) && typeof e[1] === 'string' && !/[\n\0]/.test(e[1]))
    .map(([k, v]) => `${k}=${v}`)
}
