package modules

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/winplay/winplay/internal/input"
	"github.com/winplay/winplay/modules/cmdline"
	"github.com/winplay/winplay/modules/win"
)

func init() {
	Register(Info{
		Name:    "copy",
		Summary: "Upload a local file or inline content to a host over cmd.exe, verified by SHA-256; idempotent by checksum.",
		New:     func() Module { return &Copy{} },
	})
}

// Copy puts a file on a host with nothing but cmd.exe: base64 chunks are
// echoed into a scratch file, certutil decodes it, certutil -hashfile
// proves the bytes arrived whole, and only then is the destination
// replaced. A destination that already has the source's SHA-256 is left
// alone, so a second run is ok.
type Copy struct {
	// Src is a file on the controller (relative paths are relative to the
	// directory winplay runs in).
	Src string `hcl:"src,optional"`
	// Content is the file's text, instead of Src.
	Content string `hcl:"content,optional"`
	// Dest is the absolute path of the file on the host, e.g.
	// C:\unattend\optionpack.ini; its directory is created if missing.
	Dest string `hcl:"dest"`
	// TempDir is where the chunks are assembled; default the host's %TEMP%.
	TempDir string `hcl:"temp_dir,optional"`
}

// copyMaxSize bounds what Copy sends: every 4.5 KB is one WinRM command.
const copyMaxSize = 16 << 20

// copyChunk is the base64 text per echo: a multiple of 4, well under
// cmd.exe's 8191-character line with the redirection and path around it.
const copyChunk = 6000

var copyAbsPath = regexp.MustCompile(`^[A-Za-z]:\\[^*?<>|"]*[^\\]$`)

// Validate checks the arguments, and that Src can be read.
func (c *Copy) Validate() []FieldError {
	var errs []FieldError
	switch {
	case c.Src == "" && c.Content == "":
		errs = append(errs, FieldError{"", "one of src or content is required (for an empty file, src naming an empty file)"})
	case c.Src != "" && c.Content != "":
		errs = append(errs, FieldError{"content", "src and content are mutually exclusive"})
	case c.Src != "":
		fi, err := os.Stat(c.Src)
		switch {
		case err != nil:
			errs = append(errs, FieldError{"src", err.Error()})
		case !fi.Mode().IsRegular():
			errs = append(errs, FieldError{"src", c.Src + " is not a regular file"})
		case fi.Size() > copyMaxSize:
			errs = append(errs, FieldError{"src", fmt.Sprintf("%s is %d bytes; copy sends at most %d over cmd.exe", c.Src, fi.Size(), copyMaxSize)})
		}
	case len(c.Content) > copyMaxSize:
		errs = append(errs, FieldError{"content", fmt.Sprintf("is %d bytes; copy sends at most %d over cmd.exe", len(c.Content), copyMaxSize)})
	}
	errs = append(errs, copyCheckPath("dest", c.Dest, true)...)
	if c.TempDir != "" {
		errs = append(errs, copyCheckPath("temp_dir", c.TempDir, false)...)
	}
	return errs
}

func copyCheckPath(field, p string, required bool) []FieldError {
	if p == "" {
		if required {
			return []FieldError{{field, "must not be empty"}}
		}
		return nil
	}
	if err := cmdline.Check(p); err != nil {
		return []FieldError{{field, err.Error()}}
	}
	if !copyAbsPath.MatchString(p) {
		return []FieldError{{field, fmt.Sprintf(`must be an absolute path such as C:\dir\file without wildcards or a trailing \, not %q`, p)}}
	}
	return nil
}

func (c *Copy) data() ([]byte, error) {
	if c.Src != "" {
		b, err := input.ReadFile(c.Src, copyMaxSize)
		if err != nil {
			return nil, fmt.Errorf("reading src: %w", err)
		}
		return b, nil
	}
	return []byte(c.Content), nil
}

// Keys name the destination file.
func (c *Copy) Keys() []string { return []string{"file:" + strings.ToLower(c.Dest)} }

// Run compares checksums and uploads when they differ.
func (c *Copy) Run(ctx context.Context, t *Task) (*Result, error) {
	data, err := c.data()
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	want := hex.EncodeToString(sum[:])
	have, err := RemoteSHA256(ctx, t, c.Dest)
	if err != nil {
		return nil, err
	}
	res := &Result{Facts: map[string]any{"dest": c.Dest, "sha256": want, "size": len(data)}}
	// Inline content may come from a sensitive variable, and the SHA-256
	// of a short secret gives it away to a brute force: only a src file's
	// sums are shown.
	shownHave, shownWant := have, want
	if c.Src == "" {
		shownWant = "(of the content)"
		switch {
		case have == want:
			shownHave = shownWant
		case have != "":
			shownHave = "(another)"
		}
	}
	if t.Diff {
		res.Diff = &Diff{
			Before: Lines(map[string]string{"dest": c.Dest, "sha256": copyOrAbsent(shownHave)}),
			After:  Lines(map[string]string{"dest": c.Dest, "sha256": shownWant}),
		}
	}
	if have == want {
		res.Msg = fmt.Sprintf("%s has sha256 %s", c.Dest, shownWant)
		return res, nil
	}
	res.Changed = true
	if have == "" {
		res.Msg = fmt.Sprintf("%s: created (%d bytes, sha256 %s)", c.Dest, len(data), shownWant)
	} else {
		res.Msg = fmt.Sprintf("%s: replaced (sha256 %s → %s, %d bytes)", c.Dest, shownHave, shownWant, len(data))
	}
	if t.Check {
		return res, nil
	}
	temp := c.TempDir
	if temp == "" {
		f, err := t.Facts(ctx)
		if err != nil {
			return nil, err
		}
		temp = f.Temp
	}
	if err := Upload(ctx, t, data, c.Dest, temp); err != nil {
		return nil, err
	}
	return res, nil
}

func copyOrAbsent(s string) string {
	if s == "" {
		return "(absent)"
	}
	return s
}

// Upload writes data to dest on the host over cmd.exe and verifies it:
// base64 chunks echoed into a scratch file under temp, decoded with
// certutil, checked with certutil -hashfile, then copied over dest, whose
// checksum is checked again. dest's directory is created if missing.
func Upload(ctx context.Context, t *Task, data []byte, dest, temp string) error {
	host := t.Host.Name()
	sum := sha256.Sum256(data)
	want := hex.EncodeToString(sum[:])
	base := strings.TrimRight(temp, `\`) + `\winplay-` + randomHex(6)
	b64, bin := base+".b64", base+".bin"
	defer copyCleanup(ctx, t, b64, bin)

	if len(data) == 0 {
		// certutil cannot decode nothing; cmd.exe's idiom makes the file.
		empty := Change(cmdline.NewRaw("type nul").WriteTo(bin))
		if out, err := t.Run(ctx, empty); err != nil && !errors.Is(err, ErrOutcomeUnknown) {
			return err
		} else if err == nil && out.ExitCode != 0 {
			return Failed(host, empty, out, "")
		}
	} else if err := copyDecode(ctx, t, base64.StdEncoding.EncodeToString(data), b64, bin); err != nil {
		return err
	}
	// Writing the file again is harmless, so a lost reply is settled by
	// the checksum.
	got, err := RemoteSHA256(ctx, t, bin)
	if err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("%s: the uploaded %s has sha256 %s, not %s: the upload was corrupted", host, bin, copyOrAbsent(got), want)
	}

	if dir := copyParent(dest); dir != "" {
		exists, err := PathExists(ctx, t, dir)
		if err != nil {
			return err
		}
		if !exists {
			mkdir := Change(cmdline.NewRaw("mkdir").Arg(dir))
			out, err := Apply(ctx, t, mkdir, func(ctx context.Context) (bool, error) { return PathExists(ctx, t, dir) })
			if err != nil {
				return err
			}
			if out.ExitCode != 0 {
				return Failed(host, mkdir, out, "")
			}
		}
	}
	cp := Change(cmdline.NewRaw("copy").Arg("/y", bin, dest))
	out, err := Apply(ctx, t, cp, func(ctx context.Context) (bool, error) {
		got, err := RemoteSHA256(ctx, t, dest)
		return got == want, err
	})
	if err != nil {
		return err
	}
	if out.ExitCode != 0 {
		return Failed(host, cp, out, "")
	}
	got, err = RemoteSHA256(ctx, t, dest)
	if err != nil {
		return err
	}
	if got != want {
		return Failed(host, cp, out, fmt.Sprintf("%s has sha256 %s after the copy, not %s", dest, copyOrAbsent(got), want))
	}
	return nil
}

// copyDecode sends the base64 text to b64 and decodes it into bin.
func copyDecode(ctx context.Context, t *Task, text, b64, bin string) error {
	if err := copySendChunks(ctx, t, text, b64); err != nil {
		return err
	}
	decode := Change(cmdline.New("certutil").Arg("-f", "-decode", b64, bin))
	out, err := t.Run(ctx, decode)
	if err != nil && !errors.Is(err, ErrOutcomeUnknown) {
		return err
	}
	if err == nil && out.ExitCode != 0 {
		return Failed(t.Host.Name(), decode, out, win.HRESULT(out.ExitCode))
	}
	return nil
}

// copySendChunks echoes the base64 text into path, the first chunk
// replacing the file and the others appending. An appended chunk whose
// reply was lost may or may not be in the file, so the upload starts over
// (a few times); the checksum after decoding catches anything else.
func copySendChunks(ctx context.Context, t *Task, text, path string) error {
	const attempts = 3
	var lost error
	for range attempts {
		lost = nil
		for off := 0; off < len(text); off += copyChunk {
			chunk := text[off:min(off+copyChunk, len(text))]
			// The base64 alphabet means nothing to cmd.exe. The space
			// before the redirection keeps a chunk that ends in a digit
			// from being read as a handle number (as in 2>>); certutil
			// ignores the space.
			b := cmdline.NewRaw("echo " + chunk + " ")
			shown := cmdline.NewRaw(fmt.Sprintf("echo <%d base64 characters> ", len(chunk)))
			if off == 0 {
				b.WriteTo(path)
				shown.WriteTo(path)
			} else {
				b.AppendTo(path)
				shown.AppendTo(path)
			}
			cmd := Change(b)
			// A line too long fails in Run with its error; no Display then.
			cmd.Display, _ = shown.Line()
			out, err := t.Run(ctx, cmd)
			if errors.Is(err, ErrOutcomeUnknown) {
				lost = err
				t.Progressf("reply to a chunk of %s was lost; starting the upload over", path)
				break
			}
			if err != nil {
				return err
			}
			if out.ExitCode != 0 {
				return Failed(t.Host.Name(), cmd, out, "")
			}
		}
		if lost == nil {
			return nil
		}
	}
	return fmt.Errorf("uploading %s: %d attempts lost a reply: %w", path, attempts, lost)
}

// copyCleanup removes the scratch files; a failure leaves only scratch.
func copyCleanup(ctx context.Context, t *Task, paths ...string) {
	cmd := Change(cmdline.NewRaw("del").Arg("/q").Arg(paths...))
	if _, err := t.Run(ctx, cmd); err != nil {
		t.Progressf("could not remove %s: %v", strings.Join(paths, ", "), err)
	}
}

// copyParent is the directory of an absolute path, "" for a drive root.
func copyParent(p string) string {
	i := strings.LastIndexByte(p, '\\')
	if i <= 2 {
		return ""
	}
	return p[:i]
}

// RemoteSHA256 returns the SHA-256 of a file on the host in lower-case
// hex, with certutil -hashfile, or "" when the file does not exist.
func RemoteSHA256(ctx context.Context, t *Task, path string) (string, error) {
	cmd := Read(cmdline.New("certutil").Arg("-hashfile", path, "SHA256"))
	out, err := t.Run(ctx, cmd)
	if err != nil {
		return "", err
	}
	if out.ExitCode != 0 {
		if win.HashfileMissing(out.ExitCode) {
			return "", nil
		}
		return "", Failed(t.Host.Name(), cmd, out, win.HRESULT(out.ExitCode))
	}
	h, err := win.Hashfile(out.Stdout)
	if err != nil {
		return "", fmt.Errorf("%s: `%s`: %w", t.Host.Name(), cmd.Line, err)
	}
	return h, nil
}
