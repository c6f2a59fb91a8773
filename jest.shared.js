// Settings both jest configs share: ESM TypeScript through ts-jest, workspace packages by source.
export const shared = {
  preset: 'ts-jest/presets/default-esm',
  extensionsToTreatAsEsm: ['.ts'],
  testEnvironment: 'node',
  moduleNameMapper: {
    '^@kubeline/(runtime|tools|kube|image|helm|signing|analysis|canary|gitops)$':
      '<rootDir>/packages/$1/src/index.ts',
    '^@kubeline/gitops/input-spec$': '<rootDir>/packages/gitops/src/input-spec.ts',
    '^@kubeline/image/reference$': '<rootDir>/packages/image/src/reference.ts',
    '^@kubeline/runtime/compile-cache$': '<rootDir>/packages/runtime/src/compile-cache.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }] },
  modulePathIgnorePatterns: [
    '<rootDir>/.stack/',
    '<rootDir>/.gitlab-ci-local/',
    '<rootDir>/actions/.*/dist/',
  ],
  watchPathIgnorePatterns: ['<rootDir>/.stack/', '<rootDir>/.gitlab-ci-local/'],
};
