package runner

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
)

// varsFromEnv sets each variable that WINPLAY_VAR_name names, parsed as
// -e parses a value. The values of sensitive ones are secrets like theirs.
func (p *Plan) varsFromEnv(byName map[string]*Variable, getenv func(string) string) hcl.Diagnostics {
	if getenv == nil {
		return nil
	}
	var diags hcl.Diagnostics
	for _, v := range p.Variables {
		raw := getenv(VarEnvPrefix + v.Name)
		if raw == "" {
			continue
		}
		if v.Sensitive {
			v.given = append(v.given, raw)
		}
		val, err := parseCLIValue(raw, v.Type, v.Sensitive)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Invalid value for variable",
				Detail: fmt.Sprintf("%s%s: %s", VarEnvPrefix, v.Name, err),
			})
			continue
		}
		byName[v.Name].Value = val
	}
	return diags
}

// cliSecretWarning says why a sensitive value does not belong in -e.
func cliSecretWarning(name string) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagWarning, Summary: "Sensitive value on the command line",
		Detail: fmt.Sprintf("-e %s: a command line is visible to every user of this machine (ps, /proc) and stays in shell history. "+
			"Set %s%s in the environment instead, or leave it out and winplay asks for it.", name, VarEnvPrefix, name),
	}
}
