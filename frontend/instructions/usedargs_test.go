package instructions

import (
	"reflect"
	"slices"
	"testing"
)

// UsedArgs records every ARG that expanded text refers to, whatever the
// form of the reference; RUN commands are not expanded, and single-quoted
// text is literal.
func TestUsedArgs(t *testing.T) {
	spec := mustLoad(t, `ARG PYVER=3.12 PLAT OPT IDX QUOTED INRUN NEVER SECRET DEFAULTED MOUNT
ARG DERIVED=${DEFAULTED}
TARGET aws-lambda python${PYVER}
PLATFORM ${PLAT:-linux/amd64}
INDEX https://example.com/simple --extra --secret=${SECRET-idx}
REQUIRE "x${OPT:+y}==1"
ENV A='$QUOTED'
PRUNE ${IDX}
TEST print("$DERIVED")
RUN --mount=type=cache,target=/c${MOUNT} echo $INRUN
BUILD x
`, nil)
	var got []string
	for k := range spec.UsedArgs {
		got = append(got, k)
	}
	slices.Sort(got)
	want := []string{"DEFAULTED", "DERIVED", "IDX", "MOUNT", "OPT", "PLAT", "PYVER", "SECRET"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("UsedArgs = %v, want %v", got, want)
	}
}
