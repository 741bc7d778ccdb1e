package llbgen

import "github.com/moby/buildkit/client/llb"

// constraints applies several constraint options as one, so a step's name
// and the build's --no-cache travel together through t.name.
type constraints []llb.ConstraintsOpt

func (cs constraints) SetConstraintsOption(c *llb.Constraints) {
	for _, o := range cs {
		o.SetConstraintsOption(c)
	}
}

func (cs constraints) SetRunOption(ei *llb.ExecInfo) {
	for _, o := range cs {
		o.SetRunOption(ei)
	}
}

func (cs constraints) SetLocalOption(li *llb.LocalInfo) {
	for _, o := range cs {
		o.SetLocalOption(li)
	}
}

func (cs constraints) SetOCILayoutOption(oi *llb.OCILayoutInfo) {
	for _, o := range cs {
		o.SetOCILayoutOption(oi)
	}
}

func (cs constraints) SetHTTPOption(hi *llb.HTTPInfo) {
	for _, o := range cs {
		o.SetHTTPOption(hi)
	}
}

func (cs constraints) SetImageBlobOption(ii *llb.ImageBlobInfo) {
	for _, o := range cs {
		o.SetImageBlobOption(ii)
	}
}

func (cs constraints) SetImageOption(ii *llb.ImageInfo) {
	for _, o := range cs {
		o.SetImageOption(ii)
	}
}

func (cs constraints) SetGitOption(gi *llb.GitInfo) {
	for _, o := range cs {
		o.SetGitOption(gi)
	}
}
