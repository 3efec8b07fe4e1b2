package modules_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/winplay/winplay/internal/labtest"
	"github.com/winplay/winplay/modules"
)

func TestServiceStopsDependentsFirstAndIsIdempotent(t *testing.T) {
	t.Parallel()
	l := labtest.Start(t)
	svc := &modules.Service{Name: "IISADMIN", State: "stopped", StartMode: "manual", ForceDependents: true}

	// Check mode predicts the change and sends nothing that changes.
	res, err := labtest.Run(t, l, "node1", svc, true)
	require.NoError(t, err)
	assert.True(t, res.Changed)
	assert.Empty(t, labtest.Changes(l, "node1"))
	assert.Equal(t, "running", l.Host("node1").Dump().Services["IISADMIN"].State)

	res, err = labtest.Run(t, l, "node1", svc, false)
	require.NoError(t, err)
	assert.True(t, res.Changed)
	st := l.Host("node1").Dump().Services
	assert.Equal(t, "stopped", st["IISADMIN"].State)
	assert.Equal(t, "stopped", st["W3SVC"].State, "a dependent of IISADMIN keeps running")
	assert.Equal(t, "demand", st["IISADMIN"].StartType)
	assert.Empty(t, labtest.Changes(l, "node2"), "node2 was touched")

	res, err = labtest.Run(t, l, "node1", svc, false)
	require.NoError(t, err)
	assert.False(t, res.Changed, "second run changed something: %s", res.Msg)
}
