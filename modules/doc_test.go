package modules

import (
	"bytes"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/modules/internal/gendoc"
)

func TestDocGenIsCurrent(t *testing.T) {
	want, err := gendoc.Generate(".")
	require.NoError(t, err)
	got, err := os.ReadFile(gendoc.Output)
	require.NoError(t, err)
	if !bytes.Equal(got, want) {
		t.Fatalf("modules/%s does not match the modules' doc comments: run `go generate ./modules` and commit it", gendoc.Output)
	}
}

func TestEveryArgumentIsDocumented(t *testing.T) {
	for _, name := range Names() {
		info, _ := Lookup(name)
		typ := reflect.TypeOf(info.New()).Elem()
		doc, ok := Doc(name)
		if !assert.True(t, ok, "module %s has no generated doc: run `go generate ./modules`", name) {
			continue
		}
		assert.NotEmpty(t, doc.Doc, "module %s: type %s has no doc comment", name, typ.Name())
		for i := range typ.NumField() {
			field := typ.Field(i)
			arg, _, _ := strings.Cut(field.Tag.Get("hcl"), ",")
			if arg == "" {
				continue
			}
			assert.NotEmpty(t, doc.Args[arg], "module %s: argument %s has no description: give %s.%s a doc comment", name, arg, typ.Name(), field.Name)
		}
	}
}
