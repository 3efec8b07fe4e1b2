package reliability_test

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/winplay/winplay/internal/labtest"
	"github.com/winplay/winplay/lab"
	"github.com/winplay/winplay/runner"
)

const secretArea = "secret forms"

const (
	secretPW  = "Hunter2Secret"
	secretPIN = 987654
	secretBIN = "deadbeef0142"
)

// The playbook spells each secret as modules and functions do: a
// REG_DWORD in hex, REG_BINARY in capitals, upper(), lower(), replace(),
// format(), and in the output of commands, errors, --diff and -vv.
const secretPlaybook = `
variable "pw" {
  sensitive = true
  default   = "` + secretPW + `"
}
variable "pin" {
  type      = number
  sensitive = true
  default   = 987654
}
variable "bin" {
  sensitive = true
  default   = "` + secretBIN + `"
}
play "p" {
  hosts = ["node1"]
  task "upper" {
    command {
      argv      = ["echo", upper(var.pw)]
      read_only = true
    }
  }
  task "lower" {
    command {
      argv      = ["echo", lower(var.pw)]
      read_only = true
    }
  }
  task "replace" {
    command {
      argv      = ["echo", replace(var.pw, "2", "-two-")]
      read_only = true
    }
  }
  task "format" {
    command {
      argv      = ["echo", format("pw=%s;", var.pw)]
      read_only = true
    }
  }
  task "dword" {
    registry {
      key  = "HKLM\\SOFTWARE\\winplay"
      name = "pin"
      type = "REG_DWORD"
      data = var.pin
    }
  }
  task "read the dword" {
    command {
      argv      = ["reg", "query", "HKLM\\SOFTWARE\\winplay", "/v", "pin"]
      read_only = true
    }
  }
  task "binary" {
    registry {
      key  = "HKLM\\SOFTWARE\\winplay"
      name = "bin"
      type = "REG_BINARY"
      data = var.bin
    }
  }
  task "read the binary" {
    command {
      argv      = ["reg", "query", "HKLM\\SOFTWARE\\winplay", "/v", "bin"]
      read_only = true
    }
  }
  task "string" {
    registry {
      key  = "HKLM\\SOFTWARE\\winplay"
      name = "pw"
      data = var.pw
    }
  }
  task "the file" {
    copy {
      content = var.pw
      dest    = "C:\\winplay\\pw.txt"
    }
  }
  task "its base64" {
    command {
      argv = ["certutil", "-encode", "C:\\winplay\\pw.txt", "C:\\WINNT\\Temp\\pw.b64"]
    }
  }
  task "shown" {
    command {
      argv      = ["type", "C:\\WINNT\\Temp\\pw.b64"]
      read_only = true
    }
  }
  task "an error that holds it" {
    ignore_errors = true
    wait_for {
      service = var.pw
      state   = "running"
      timeout = "1s"
    }
  }
}
`

// spellings are every way the secrets may have been written.
func spellings() map[string]string {
	pw := secretPW
	q, _ := json.Marshal(pw)
	out := map[string]string{
		"plain": pw, "upper": strings.ToUpper(pw), "lower": strings.ToLower(pw),
		"replaced": strings.ReplaceAll(pw, "2", "-two-"), "json": strings.Trim(string(q), `"`),
		"quoted":        strings.Trim(strconv.Quote(pw), `"`),
		"hex bytes":     hex.EncodeToString([]byte(pw)),
		"dword decimal": strconv.Itoa(secretPIN), "dword hex": fmt.Sprintf("0x%x", secretPIN),
		"dword bare hex": fmt.Sprintf("%x", secretPIN),
		"binary":         secretBIN, "binary upper": strings.ToUpper(secretBIN),
	}
	// The middle of its base64 at every alignment in a longer text.
	for k := 0; k < 3; k++ {
		enc := base64.StdEncoding.EncodeToString(append(make([]byte, k), pw...))
		out[fmt.Sprintf("base64 at %d", k)] = enc[(8*k+5)/6 : (8*k+8*len(pw))/6]
	}
	return out
}

// No spelling of a secret appears in text output (-vv, --diff), JSON
// output or the journal.
func TestSecretForms(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t, lab.HostSpec{Name: "node1"})
	r := runPlaybook(t, timeout(t), labtest.Inventory(t, l), secretPlaybook, runner.Options{})
	if r.err != nil {
		t.Fatal(r.err)
	}
	for _, task := range []string{"upper", "dword", "read the dword", "binary", "the file", "shown"} {
		if ev, ok := r.rec.result(task, "node1"); !ok || ev.Status == "failed" {
			t.Fatalf("task %q did not run: %s", task, ev.Error)
		}
	}
	if !strings.Contains(r.text, runner.Mask) {
		t.Fatal("no secret was shown at all: the test shows nothing")
	}
	for name, form := range spellings() {
		for out, text := range map[string]string{"text": r.text, "json": r.json, "journal": r.journal} {
			try(t, secretArea, !contains(text, form), "%s output shows the secret as %s (%q)", out, name, form)
		}
	}
	try(t, secretArea, !strings.Contains(r.output(), lab.DefaultPassword), "the password is shown")
}
