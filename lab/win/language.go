package win

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// language is a display language of the lab's Windows: the words its
// tools print that a real host of that language prints differently. Each
// word comes from a verbatim sample in testdata/windows or an attested
// string named in its SOURCES.md; where none was found the English text
// stays, and TOOLS.md lists what that leaves English.
type language struct {
	tag  string
	lcid string // Nls\Language InstallLanguage, hex
	// oemcp is the OEM code page (Nls\CodePage OEMCP), what chcp prints
	// when the client asks for none.
	oemcp int
	// sc.exe's words after [SC] Operation: how success and failure are
	// put (German ERFOLG / FEHLER 1060:, Russian : успех / : ошибка: 1060:).
	scOK, scFailed func(op string, code int, msg string) string
	// scLabels translate sc's field labels (Russian only; German keeps
	// them English).
	scLabels map[string]string
	// messages are Win32 messages in this language.
	messages map[int]string
	// regNotFound is reg.exe's error for a missing key or value; regDefault
	// the name it prints for a key's default value.
	regNotFound, regDefault string
	// regSearchEnd is the line after reg query /s /v's matches.
	regSearchEnd func(n int) string
	// netDone is net.exe's completion line.
	netDone string
	// netSystemError is the first line of a net.exe failure.
	netSystemError func(code int) string
	// netDependents is net stop's list of the running services that
	// depend on the one to stop, netQuestion its question, netNoAnswer its
	// complaint on stderr when nobody answers (stdin at its end).
	netDependents            func(display string) string
	netQuestion, netNoAnswer string
	// notRecognized is cmd.exe's message for a program it cannot find.
	notRecognized func(prog string) string
	// chcp is chcp's output for a code page; verWord the word before ver's
	// number.
	chcp    func(cp int) string
	verWord string
	// names are well-known accounts and groups in this language, by SID;
	// S-1-5-21-*-RID names a built-in local account of every host.
	names map[string]string
	// builtinDomain is the domain of the built-in groups (BUILTIN).
	builtinDomain string
	// clusterGroup is the name of the cluster's core group.
	clusterGroup string
}

var english = &language{
	tag: "en-US", lcid: "0409", oemcp: 437,
	scOK: func(op string, _ int, _ string) string { return "[SC] " + op + " SUCCESS\r\n" },
	scFailed: func(op string, code int, msg string) string {
		return fmt.Sprintf("[SC] %s FAILED %d:\r\n\r\n%s\r\n\r\n", op, code, msg)
	},
	regNotFound:  "ERROR: The system was unable to find the specified registry key or value.",
	regDefault:   "(Default)",
	regSearchEnd: func(n int) string { return fmt.Sprintf("End of search: %d match(es) found.", n) },
	netDone:      "The command completed successfully.",
	netSystemError: func(code int) string {
		return fmt.Sprintf("System error %d has occurred.", code)
	},
	netDependents: func(d string) string {
		return fmt.Sprintf("The following services are dependent on the %s service.\r\nStopping the %s service will also stop these services.\r\n", d, d)
	},
	netQuestion: "Do you want to continue this operation? (Y/N) [N]: ",
	netNoAnswer: "No valid response was provided.",
	notRecognized: func(prog string) string {
		return fmt.Sprintf("'%s' is not recognized as an internal or external command,\r\noperable program or batch file.", prog)
	},
	chcp:         func(cp int) string { return fmt.Sprintf("Active code page: %d", cp) },
	verWord:      "Version",
	clusterGroup: "Cluster Group",
}

var languages = map[string]*language{
	"en-US": english,
	// German: SecretLUL/WinMedic's captures (Windows 11 25H2, de-DE) for
	// sc and reg, SCons' test for cmd.exe's 9009, a German net use capture
	// for the completion line, Microsoft's German pages for Systemfehler,
	// the chcp issue paste, the PRTG README for Clustergruppe.
	"de-DE": {
		tag: "de-DE", lcid: "0407", oemcp: 850,
		scOK: func(op string, _ int, _ string) string { return "[SC] " + op + " ERFOLG\r\n" },
		scFailed: func(op string, code int, msg string) string {
			return fmt.Sprintf("[SC] %s FEHLER %d:\r\n\r\n%s\r\n\r\n", op, code, msg)
		},
		messages: map[int]string{
			1060: "Der angegebene Dienst ist kein installierter Dienst.",
		},
		regNotFound: "FEHLER: Der angegebene Registrierungsschlüssel bzw. Wert wurde nicht gefunden.",
		regDefault:  "(Standard)",
		regSearchEnd: func(n int) string {
			return fmt.Sprintf("Suchvorgang abgeschlossen: %d übereinstimmende Zeichenfolge(n) gefunden.", n)
		},
		netDone: "Der Befehl wurde erfolgreich ausgeführt.",
		netSystemError: func(code int) string {
			return fmt.Sprintf("Systemfehler %d aufgetreten.", code)
		},
		netDependents: func(d string) string {
			return fmt.Sprintf("Die folgenden Dienste hängen vom Dienst %s ab.\r\nDas Beenden des Dienstes %s beendet auch diese Dienste.\r\n", d, d)
		},
		netQuestion: "Möchten Sie diesen Vorgang fortsetzen? (J/N) [N]: ",
		netNoAnswer: "Es wurde keine gültige Antwort gegeben.",
		notRecognized: func(prog string) string {
			return fmt.Sprintf("Der Befehl \"%s\" ist entweder falsch geschrieben oder\r\nkonnte nicht gefunden werden.", prog)
		},
		chcp:    func(cp int) string { return fmt.Sprintf("Aktive Codepage: %d.", cp) },
		verWord: "Version",
		names: map[string]string{
			sidGuests: "Gäste", "S-1-5-32-555": "Remotedesktopbenutzer",
			"S-1-5-11": `NT-AUTORITÄT\Authentifizierte Benutzer`, "S-1-5-6": `NT-AUTORITÄT\DIENST`,
			"S-1-5-20": `NT-AUTORITÄT\Netzwerkdienst`, "S-1-5-19": `NT-AUTORITÄT\Lokaler Dienst`,
			// Network-Sec/privATM's German capture and Microsoft's table
			// of localized names (SQL Server's service-account page).
			sidAdministrators: "Administratoren", sidUsers: "Benutzer", "S-1-5-21-*-501": "Gast",
			sidSystem: `NT-AUTORITÄT\SYSTEM`,
		},
		builtinDomain: "VORDEFINIERT",
		clusterGroup:  "Clustergruppe",
	},
	// Russian: GoodbyeDPI#544 (Windows 10 LTSC) and salt#30535 for sc,
	// whose labels are translated too; lite-botnet's script for reg's
	// error; wesng's 2012 R2 capture for Администратор.
	"ru-RU": {
		tag: "ru-RU", lcid: "0419", oemcp: 866,
		scOK: func(op string, _ int, _ string) string { return "[SC] " + op + ": успех\r\n" },
		scFailed: func(op string, code int, msg string) string {
			return fmt.Sprintf("[SC] %s: ошибка: %d:\r\n%s\r\n", op, code, msg)
		},
		scLabels: map[string]string{
			"SERVICE_NAME": "Имя_службы", "DISPLAY_NAME": "Выводимое_имя", "TYPE": "Тип", "STATE": "Состояние",
			"WIN32_EXIT_CODE": "Код_выхода_Win32", "SERVICE_EXIT_CODE": "Код_выхода_службы",
			"CHECKPOINT": "Контрольная_точка", "WAIT_HINT": "Ожидание", "PID": "ID_процесса", "FLAGS": "Флаги",
			"START_TYPE": "Тип_запуска",
		},
		messages: map[int]string{
			1060: "Указанная служба не установлена.",
		},
		regNotFound:  "Ошибка: Не удается найти указанный раздел или параметр в реестре.",
		regDefault:   "(Default)",
		regSearchEnd: english.regSearchEnd,
		netDone:      english.netDone,
		netSystemError: func(code int) string {
			return english.netSystemError(code)
		},
		netDependents: func(d string) string { return english.netDependents(d) },
		netQuestion:   english.netQuestion,
		netNoAnswer:   english.netNoAnswer,
		notRecognized: english.notRecognized,
		chcp:          english.chcp,
		verWord:       "Версия",
		names: map[string]string{"S-1-5-21-*-500": "Администратор",
			// Microsoft's table of localized names (SQL Server's
			// service-account page): BUILTIN\Администраторы,
			// NT AUTHORITY\СИСТЕМА.
			sidAdministrators: "Администраторы", sidSystem: `NT AUTHORITY\СИСТЕМА`},
		clusterGroup: english.clusterGroup,
	},
}

// lookupLanguage returns the language tagged tag ("" is en-US).
func lookupLanguage(tag string) (*language, error) {
	if tag == "" {
		return english, nil
	}
	for t, l := range languages {
		if strings.EqualFold(t, tag) {
			return l, nil
		}
	}
	return nil, fmt.Errorf("unknown display language %q (want one of %s)", tag, strings.Join(LanguageNames(), ", "))
}

// message is the Win32 message for code in this language, English where
// no translation is known.
func (l *language) message(code int) string {
	if m, ok := l.messages[code]; ok {
		return m
	}
	return winMessage(code)
}

// scField is an sc.exe field line, its label translated where this
// language translates them, padded to sc's column by characters.
func (l *language) scField(label, value string) string {
	if t, ok := l.scLabels[label]; ok {
		label = t
	}
	pad := 19 - utf8.RuneCountInString(label)
	return "        " + label + strings.Repeat(" ", max(pad, 0)) + ": " + value + "\r\n"
}

// scLabel is a label alone (SERVICE_NAME), translated if this language
// does.
func (l *language) scLabel(label string) string {
	if t, ok := l.scLabels[label]; ok {
		return t
	}
	return label
}

// accountName is the name a well-known SID has in this language, or "".
func (l *language) accountName(sid string) string {
	if n, ok := l.names[sid]; ok {
		return n
	}
	if rest, ok := strings.CutPrefix(sid, "S-1-5-21-"); ok {
		if i := strings.LastIndexByte(rest, '-'); i >= 0 {
			return l.names["S-1-5-21-*"+rest[i:]]
		}
	}
	return ""
}

// builtin is the domain of the built-in groups in this language.
func (l *language) builtin() string {
	if l.builtinDomain != "" {
		return l.builtinDomain
	}
	return "BUILTIN"
}
