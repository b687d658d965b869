import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['agent/**/*.test.ts', 'api/**/*.test.ts', 'test-fixtures/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Live-capture and namespace tests share kernel state; run files one after another.
    fileParallelism: false,
  },
});
