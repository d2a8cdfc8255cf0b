// tap's coverage map: each unit test counts coverage of the source file it mirrors
// (test/image/build.test.ts -> src/image/build.ts) and of nothing it merely loads, so
// that a module is only as covered as its own tests make it.
export default function coverageMap (testFile: string): string[] | null {
  return [testFile.replace(/^test\//, 'src/').replace(/\.test\.ts$/, '.ts')]
}
