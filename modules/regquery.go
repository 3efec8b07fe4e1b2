package modules

import (
	"context"
	"fmt"

	"github.com/winplay/winplay/modules/cmdline"
	"github.com/winplay/winplay/modules/win"
)

// queryRegKey reads a registry key's values with reg query. A key that
// does not exist is found=false, not an error (reg.exe exits 1; its
// message is translated and not read).
func queryRegKey(ctx context.Context, t *Task, key string) (k win.RegKey, found bool, err error) {
	cmd := Read(cmdline.New("reg").Arg("query").Data(key))
	out, err := t.Run(ctx, cmd)
	if err != nil {
		return win.RegKey{}, false, err
	}
	if out.ExitCode != 0 {
		if win.RegNotFound(out.ExitCode) {
			return win.RegKey{}, false, nil
		}
		return win.RegKey{}, false, Failed(t.Host.Name(), cmd, out, "")
	}
	return win.RegKeyOf(out.Stdout, key), true, nil
}

// queryRegValue runs reg query for one value; a value (or key) that does
// not exist is an absent value, not an error.
func queryRegValue(ctx context.Context, t *Task, key, name string) (registryValue, error) {
	cmd := Read(cmdline.New("reg.exe").Arg("query").Data(key).Arg("/v").Data(name))
	out, err := t.Run(ctx, cmd)
	if err != nil {
		return registryValue{}, err
	}
	if out.ExitCode != 0 {
		if win.RegNotFound(out.ExitCode) {
			return registryValue{}, nil
		}
		return registryValue{}, Failed(t.Host.Name(), cmd, out, "cannot read "+key+`\`+name)
	}
	v, ok := win.RegKeyOf(out.Stdout, key).Value(name)
	if !ok {
		return registryValue{}, fmt.Errorf("%s: `%s` printed no line for %s: %q", t.Host.Name(), cmd.Line, name, win.Clip(out.Stdout))
	}
	return registryValue{exists: true, typ: v.Type, data: v.Data}, nil
}
