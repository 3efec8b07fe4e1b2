package runner

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// specialTags are the tag names with a meaning of their own in --tags and
// --skip-tags, as in Ansible: "all" selects every task but those tagged
// never, "always" tasks run unless skipped by name, "never" tasks only when
// asked for by name.
var specialTags = []string{"all", "always", "never"}

// AllTags returns every tag of the plan's tasks (a play's tags are its
// tasks'), sorted.
func (p *Plan) AllTags() []string {
	var tags []string
	for _, play := range p.Plays {
		for _, t := range play.Tasks {
			for _, tag := range t.Tags {
				if !slices.Contains(tags, tag) {
					tags = append(tags, tag)
				}
			}
		}
	}
	sort.Strings(tags)
	return tags
}

// CheckTags refuses --tags and --skip-tags values that no task has: a
// mistyped tag would otherwise run nothing (or skip nothing) and exit 0.
// "all", "always" and "never" are always accepted.
func (p *Plan) CheckTags(tags, skipTags []string) error {
	known := p.AllTags()
	for _, list := range []struct {
		flag string
		tags []string
	}{{"--tags", tags}, {"--skip-tags", skipTags}} {
		for _, tag := range list.tags {
			if slices.Contains(known, tag) || slices.Contains(specialTags, tag) {
				continue
			}
			have := "no task has a tag"
			if len(known) > 0 {
				have = "the tasks' tags are " + strings.Join(known, ", ")
			}
			return fmt.Errorf("%w: %s %s: no task is tagged %q; %s.%s", ErrInvalidOptions, list.flag, tag, tag, have, suggest(tag, known))
		}
	}
	return nil
}

// Selected reports whether a run with these options runs task t: its tags
// against --tags and --skip-tags, and --start-at-task.
func (p *Plan) Selected(t *Task, opts Options) bool {
	e := &engine{opts: opts, skip: p.tasksBefore(opts.StartAt)}
	return e.selected(t)
}
