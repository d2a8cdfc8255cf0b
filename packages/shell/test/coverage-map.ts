// tap's coverage map: each unit test counts coverage of the source file it mirrors
// (test/container/name.test.ts -> src/container/name.ts) and of nothing it merely loads.
// Without it, a test that imports windowSize from session/run.ts or liveSessions
// through gc.ts would put login.ts, session/exec.ts and container/manager.ts into the
// denominator: they are the login's wiring around real sshd, Docker and the Go client
// and agent, run by the integration suite (/test/integration/shell), not here.
export default function coverageMap (testFile: string): string[] | null {
  return [testFile.replace(/^test\//, 'src/').replace(/\.test\.ts$/, '.ts')]
}
