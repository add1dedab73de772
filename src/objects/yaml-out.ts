// YAML that kubectl reads as we meant it. kubectl (sigs.k8s.io/yaml, go-yaml v2) reads YAML 1.1,
// where a plain `off`, `on`, `yes`, `no`, `y` or `n` is a boolean: a binding's `values: [off]`
// or an env value `yes` written plain by a YAML 1.2 writer is refused ("cannot unmarshal bool
// into ... string"). Writing as YAML 1.1 quotes every such string.
export const KUBECTL_YAML = { lineWidth: 0, version: '1.1' } as const;
