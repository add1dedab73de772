module extguard/corpus/tools/gitleaks-dump

go 1.24
