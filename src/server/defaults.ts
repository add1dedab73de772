// Defaults the command line shows in its help, kept out of serve.ts so that loading the CLI for
// `check` or `policies` does not load the server (express, the Kubernetes client, workers).

/** How long a review may take to be judged before it is answered by its mode (enforce denies). */
export const DEFAULT_JUDGE_TIMEOUT_MS = 2000;
