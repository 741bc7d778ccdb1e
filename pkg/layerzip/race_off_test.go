//go:build !race

package layerzip

const raceEnabled = false
