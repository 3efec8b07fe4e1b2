package lab

import (
	"fmt"
	"strings"

	"github.com/winplay/winplay/lab/win"
)

// SetOS applies `--os` values to cfg: "2022" makes every host Windows
// Server 2022, "node2=2025" only node2 (names as in cfg.Hosts, which must
// be filled in first). The command line's lab flags call it.
func (c *Config) SetOS(values []string) error {
	return c.setPerHost("Windows", values, func(v string) error {
		_, err := win.LookupGeneration(v)
		return err
	}, func(h *HostSpec, v string) { h.OS = v }, func(v string) { c.OS = v })
}

// SetLanguage applies `--lang` values as SetOS does: "de-DE" or
// "node2=ru-RU".
func (c *Config) SetLanguage(values []string) error {
	return c.setPerHost("display language", values, func(v string) error {
		for _, l := range win.LanguageNames() {
			if strings.EqualFold(l, v) {
				return nil
			}
		}
		return fmt.Errorf("unknown display language %q (want one of %s)", v, strings.Join(win.LanguageNames(), ", "))
	}, func(h *HostSpec, v string) { h.Language = v }, func(v string) { c.Language = v })
}

func (c *Config) setPerHost(what string, values []string, check func(string) error, host func(*HostSpec, string), all func(string)) error {
	for _, v := range values {
		name, value, perHost := strings.Cut(v, "=")
		if !perHost {
			value = name
		}
		if err := check(value); err != nil {
			return err
		}
		if !perHost {
			all(value)
			continue
		}
		found := false
		for i := range c.Hosts {
			if strings.EqualFold(c.Hosts[i].Name, name) {
				host(&c.Hosts[i], value)
				found = true
			}
		}
		if !found {
			return fmt.Errorf("%s for %q, which is not among the lab's hosts", what, name)
		}
	}
	return nil
}
