package main

import (
	"errors"
	"fmt"

	"github.com/winplay/winplay/lab"
)

// errPasswordFlag refuses a password on winplay lab's command line.
var errPasswordFlag = fmt.Errorf("--password shows the password to every user of this machine (ps, /proc) and keeps it in shell history; set $%s instead, or let winplay ask for it", labPasswordEnv)

// labPassword is the password a lab serves: $WINPLAY_PASSWORD, or typed at
// a prompt on a terminal, or the lab's documented default. shown says
// whether it may be printed: only the default, which is no secret.
func labPassword(stdio Stdio) (password string, shown bool, err error) {
	if p := stdio.getenv(labPasswordEnv); p != "" {
		return p, false, nil
	}
	if prompt := passwordPrompt(stdio); prompt != nil {
		p, err := prompt("password the lab's hosts accept (empty for the default): ")
		if err != nil {
			return "", false, err
		}
		if p != "" {
			return p, false, nil
		}
	}
	if lab.DefaultPassword == "" {
		return "", false, errors.New("the lab has no default password")
	}
	return lab.DefaultPassword, true, nil
}
