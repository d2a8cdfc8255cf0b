// tap's coverage map: each unit test counts coverage of the source file it mirrors
// (test/container/name.test.ts -> src/container/name.ts) and of nothing it merely loads.
// Without it, importing sessionEnv from main.ts or liveSessions through gc.ts would put
// main.ts, session/run.ts and container/manager.ts into the denominator: they are the
// login's wiring around real sshd, sudo and Docker, run by the integration suite
// (/test/integration/shell), not here. main.test.ts pins only the pure sessionEnv, so
// it counts toward no file rather than report main.ts as a quarter covered.
const UNCOUNTED = new Set(['test/main.test.ts'])

export default function coverageMap (testFile: string): string[] | null {
  if (UNCOUNTED.has(testFile)) return null
  return [testFile.replace(/^test\//, 'src/').replace(/\.test\.ts$/, '.ts')]
}
