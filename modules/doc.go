package modules

//go:generate go run ./internal/gendoc/cmd

// ModuleDoc is what `winplay doc MODULE` shows beside a module's
// arguments. It is generated from the doc comments of the module's type
// and fields (doc_gen.go), which stay its only source.
type ModuleDoc struct {
	// Doc is the type's doc comment, in Go doc comment syntax (paragraphs,
	// lists, indented code), with the module's name in place of the type's.
	Doc string
	// Args holds each HCL argument's description, one paragraph, with the
	// arguments' names as a playbook spells them.
	Args map[string]string
}

// Doc returns the documentation of the module with this name.
func Doc(name string) (ModuleDoc, bool) {
	d, ok := docs[name]
	return d, ok
}
