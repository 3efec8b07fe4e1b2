// Command gendoc writes the modules package's doc_gen.go; run it with
// `go generate ./modules`.
package main

import (
	"log"
	"os"

	"github.com/winplay/winplay/modules/internal/gendoc"
)

func main() {
	src, err := gendoc.Generate(".")
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(gendoc.Output, src, 0o644); err != nil {
		log.Fatal(err)
	}
}
