package runner

import (
	"strings"

	"github.com/hashicorp/hcl/v2"

	"github.com/winplay/winplay/inventory"
)

// syntaxHost is the one host a syntax-only check binds every play to.
const syntaxHost = "syntax-check"

// CheckAlone checks a loaded plan without an inventory, for winplay
// validate with neither -i nor --lab: every task, its meta-arguments and
// its module's arguments, as Bind checks them, for one stand-in host.
// What only an inventory can tell (which hosts a pattern or `on` names,
// and the results other hosts register) is left out.
func (p *Plan) CheckAlone() hcl.Diagnostics {
	inv, err := inventory.New(inventory.Spec{Hosts: []*inventory.Host{{Name: syntaxHost, Conn: inventory.Connection{User: "syntax-check"}}}})
	if err != nil {
		return hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Internal error", Detail: err.Error()}}
	}
	h, _ := inv.Host(syntaxHost)
	for _, play := range p.Plays {
		play.hosts = []*inventory.Host{h}
	}
	defer func() {
		for _, play := range p.Plays {
			play.hosts = nil
		}
	}()
	var diags hcl.Diagnostics
	for _, d := range p.checkTasks(inv, nil, true) {
		if d.Summary == "Unknown host" || d.Summary == "Invalid on" && strings.Contains(d.Detail, "no host named") {
			continue
		}
		diags = append(diags, d)
	}
	return diags
}
