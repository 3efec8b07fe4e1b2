package readonly_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/internal/labtest"
	"github.com/winplay/winplay/modules/readonly"
)

// The classifier is held to the lab's own marking of what changed: no
// line it proves read-only makes the lab log a change or changes the
// lab's state.
func TestClassifierAgreesWithTheLab(t *testing.T) {
	st, bad := labtest.Differential(t, 1, 1500)
	require.Empty(t, bad)
	require.Greater(t, st.Proven, st.Lines/10, "too few lines proven read-only to test anything")
	t.Logf("%d lines, %d proven read-only, %d disagreements", st.Lines, st.Proven, st.Disagreed)
}

// FuzzClassifierAgreesWithTheLab explores lines beyond the generator's:
// go test -fuzz FuzzClassifierAgreesWithTheLab ./modules/readonly.
func FuzzClassifierAgreesWithTheLab(f *testing.F) {
	for _, line := range labtest.GenLines(2, 40) {
		f.Add(line)
	}
	m := labtest.DirectHost(f)
	f.Fuzz(func(t *testing.T, line string) {
		if len(line) > 2000 || !readonly.Classify(line, labtest.LabScratch).ReadOnly {
			return
		}
		if why := labtest.LabDisagrees(t, m, line); why != "" {
			t.Fatalf("%s: %s", line, why)
		}
	})
}
