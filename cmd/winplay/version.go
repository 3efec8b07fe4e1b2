package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// version is set at link time for releases (-ldflags "-X main.version=v1.2.3");
// otherwise the module's version from the build info is shown.
var version = ""

// versionString is what winplay --version prints: the version, the
// commit it was built from (with "+dirty" for uncommitted changes) and
// its time, and the Go version, from the build information the Go
// toolchain records in the binary.
func versionString() string {
	info, _ := debug.ReadBuildInfo()
	return formatVersion(info, version)
}

func formatVersion(info *debug.BuildInfo, linked string) string {
	v := linked
	settings := map[string]string{}
	goVersion := runtime.Version()
	if info != nil {
		if v == "" {
			v = info.Main.Version
		}
		for _, s := range info.Settings {
			settings[s.Key] = s.Value
		}
		if info.GoVersion != "" {
			goVersion = info.GoVersion
		}
	}
	if v == "" || v == "(devel)" {
		v = "devel"
	}
	commit := "commit unknown (built without version control information)"
	if rev := settings["vcs.revision"]; rev != "" {
		commit = "commit " + rev
		if settings["vcs.modified"] == "true" {
			commit += "+dirty"
		}
		if t := settings["vcs.time"]; t != "" {
			commit += " (" + t + ")"
		}
	}
	return fmt.Sprintf("winplay %s, %s, %s %s/%s", v, commit, goVersion, runtime.GOOS, runtime.GOARCH)
}
