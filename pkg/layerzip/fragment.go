package layerzip

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
)

var errStopped = errors.New("layerzip: stopped")

// WriteFragment writes the local file headers and data of entries to w, in
// name order, and returns the index describing them (offsets relative to
// the start of w). Entries are validated first: names, types, no
// duplicates, no file/directory clashes, symlinks inside the archive.
//
// Compression runs on Options.Workers goroutines; results are written
// strictly in entry order, and at most Options.MaxBuffer bytes of
// compressed data are held in memory (larger files go through temporary
// files), so the output depends only on the entries, Epoch and Level.
func WriteFragment(w io.Writer, entries []Entry, opts Options) (*FragmentIndex, error) {
	st, err := opts.resolve()
	if err != nil {
		return nil, err
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	out := &countWriter{w: bw}
	idx, err := writeFragment(out, entries, &st)
	if err != nil {
		return nil, err
	}
	if err := bw.Flush(); err != nil {
		return nil, err
	}
	return idx, nil
}

// prepare returns the entries sorted by name after validating them.
func prepare(entries []Entry) ([]Entry, error) {
	sorted := slices.Clone(entries)
	slices.SortStableFunc(sorted, func(a, b Entry) int { return strings.Compare(a.Name, b.Name) })
	for _, e := range sorted {
		if err := e.check(); err != nil {
			return nil, err
		}
	}
	var names nameSet
	for _, e := range sorted {
		if err := names.add(e.Name, ""); err != nil {
			return nil, err
		}
	}
	if err := checkLinks(sorted); err != nil {
		return nil, err
	}
	return sorted, nil
}

// writeFragment is WriteFragment on a counting writer whose count is the
// fragment start (0) plus what has been written.
func writeFragment(out *countWriter, entries []Entry, st *settings) (*FragmentIndex, error) {
	sorted, err := prepare(entries)
	if err != nil {
		return nil, err
	}
	start := out.n
	idx := &FragmentIndex{Format: IndexFormat, Entries: make([]IndexEntry, 0, len(sorted))}
	hdr := make([]byte, 0, 512)
	buf := make([]byte, 128<<10)
	emit := func(j *job) error {
		rec := j.rec
		rec.Offset = uint64(out.n - start)
		hdr = appendLocal(hdr[:0], &rec)
		_, _ = out.Write(hdr)
		var err error
		switch {
		case j.mem != nil:
			err = j.mem.writeTo(out)
		case j.spill != nil:
			var n int64
			n, err = io.CopyBuffer(out, io.LimitReader(j.spill.f, int64(rec.CompressedSize)), buf)
			if err == nil && uint64(n) != rec.CompressedSize {
				err = fmt.Errorf("layerzip: %s: spill file truncated", rec.Name)
			}
		case j.reread:
			err = copyStored(out, j, buf)
		case j.e.kind() == kindSymlink:
			_, err = io.WriteString(out, j.e.LinkTarget)
		}
		if err == nil {
			err = out.err
		}
		if err != nil {
			return err
		}
		idx.Entries = append(idx.Entries, rec)
		return nil
	}
	if err := runPipeline(sorted, st, emit); err != nil {
		return nil, err
	}
	idx.Size = uint64(out.n - start)
	return idx, nil
}

// runPipeline compresses entries on st.workers goroutines and calls emit for
// each, in entry order, on the calling goroutine. The first error (in entry
// order) stops the pipeline and is returned; every temporary file and chunk
// is released before returning.
func runPipeline(entries []Entry, st *settings, emit func(*job) error) error {
	// Memory is bounded by the chunk budget; the job window only lets
	// workers run far enough ahead of an entry that takes long (a large
	// library) and the spill slots bound open temporary files.
	b := newBudget(st.chunks, 2*st.workers+4)
	stop := make(chan struct{})
	jobs := make(chan *job)
	order := make(chan *job, 1024+64*st.workers)
	var wg sync.WaitGroup
	for range st.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wk := newWorker(st, b)
			for j := range jobs {
				select {
				case <-stop:
					j.err = errStopped
				default:
					wk.run(j)
				}
				close(j.done)
			}
		}()
	}
	go func() {
		defer close(order)
		defer close(jobs)
		for i := range entries {
			j := &job{e: &entries[i], done: make(chan struct{})}
			n, spill := reservation(j.e, st)
			if !b.acquire(n, spill) {
				return
			}
			j.held, j.spillSlot = n, spill
			select {
			case order <- j:
			case <-stop:
				j.cleanup(b)
				return
			}
			select {
			case jobs <- j:
			case <-stop:
				j.err = errStopped
				close(j.done)
				return
			}
		}
	}()
	var first error
	for j := range order {
		<-j.done
		if first == nil {
			first = j.err
			if first == nil {
				first = emit(j)
			}
			if first != nil {
				close(stop)
				b.close()
			}
		}
		j.cleanup(b)
	}
	wg.Wait()
	return first
}
