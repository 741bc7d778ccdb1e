package profile

// The profile table. Every fact carries its source; sources marked
// "inference" are conclusions drawn from the cited material, not statements
// of it. Each source is cited where the fact is (URL, repository and path,
// or the document's title).

import "strings"

// Operating systems of the profiles' runtimes.
const (
	osAL2      = "Amazon Linux 2"
	osAL2023   = "Amazon Linux 2023"
	osUbuntu22 = "Ubuntu 22.04"
	osUbuntu24 = "Ubuntu 24.04"
	osBullseye = "Debian 11 (bullseye)"
	osBookworm = "Debian 12 (bookworm)"
)

var table = []Profile{
	{Name: "aws-lambda", Runtimes: []Runtime{
		// Runtime/OS: https://docs.aws.amazon.com/lambda/latest/dg/lambda-python.html
		// (python3.10, python3.11 on Amazon Linux 2; python3.12-3.14 on Amazon
		// Linux 2023). glibc: AL2 2.26, AL2023 2.34 —
		// https://docs.amazonaws.cn/en_us/linux/al2023/ug/glibc-gcc-and-binutils.md
		// and aws/aws-lambda-builders python_pip/packager.py _RUNTIME_GLIBC
		// (cp310/cp311 -> 2.26, cp312/cp313/cp314 -> 2.34) @ cd41bcf.
		lambda("3.10", osAL2, "2.26"),
		lambda("3.11", osAL2, "2.26"),
		lambda("3.12", osAL2023, "2.34"),
		lambda("3.13", osAL2023, "2.34"),
		lambda("3.14", osAL2023, "2.34"),
	}},
	{Name: "gcp-functions", Runtimes: []Runtime{
		// Runtime/stack: https://docs.cloud.google.com/run/docs/runtimes/python
		// (python310-python313 -> google-22, python314 -> google-24).
		// Stack OS: https://docs.cloud.google.com/functions/1stgendocs/concepts/execution-environment
		// (google-22-full = Ubuntu 22.04, google-24-full = Ubuntu 24.04).
		// glibc (community sources): Ubuntu 22.04 = 2.35 (libplctag/libplctag#537,
		// oyvindln/vhs-decode#213), Ubuntu 24.04 = 2.39 (syndicodefront/infekt#162).
		gcp("3.10", "google-22", osUbuntu22, "2.35"),
		gcp("3.11", "google-22", osUbuntu22, "2.35"),
		gcp("3.12", "google-22", osUbuntu22, "2.35"),
		gcp("3.13", "google-22", osUbuntu22, "2.35"),
		gcp("3.14", "google-24", osUbuntu24, "2.39"),
	}},
	{Name: "azure-functions", Runtimes: []Runtime{
		// Images mcr.microsoft.com/azure-functions/python:4-python3.X.
		// 3.10 and 3.11 are built on Debian 11 bullseye, glibc 2.31
		// (Azure/azure-functions-docker host/4/bullseye/amd64/python/python310,
		// python311; wheels needing GLIBC_2.33 fail there:
		// Azure/azure-functions-python-worker#1651); 3.12 on Debian 12
		// bookworm (host/4/bookworm/python/python312/python312.Dockerfile,
		// Python from mcr.microsoft.com/oryx/python:3.12-debian-bookworm).
		// glibc 2.31 for Debian 11, 2.36 for Debian 12 (Debian's libc6
		// package versions; community source: syndicodefront/infekt#162).
		azure("3.10", osBullseye, "2.31"),
		azure("3.11", osBullseye, "2.31"),
		azure("3.12", osBookworm, "2.36"),
		azure("3.13", osBookworm, "2.36"),
	}},
	{Name: CustomProfile, Runtimes: nil}, // everything from TARGET flags, see Lookup
}

// CustomProfile is the profile whose runtime facts all come from overrides.
const CustomProfile = "custom"

// lambda builds an aws-lambda row.
func lambda(pyver, osName, glibc string) Runtime {
	return Runtime{
		Name:          "python" + pyver,
		PythonVersion: pyver,
		ABI:           abiFor(pyver),
		// Runtime base images public.ecr.aws/lambda/python:3.10 ... 3.14
		// (aws/aws-lambda-base-images#437), multi-architecture.
		RuntimeImage: "public.ecr.aws/lambda/python:" + pyver,
		// SAM build images, aws/aws-sam-build-images
		// build-image-src/Dockerfile-python3XX (FROM public.ecr.aws/lambda/python:3.X-$IMAGE_ARCH),
		// published as public.ecr.aws/sam/build-python3.X.
		BuildImage: "public.ecr.aws/sam/build-python" + pyver + ":latest",
		OS:         osName,
		Glibc:      glibc,
		// "arm64 – 64-bit ARM architecture, for AWS Graviton processors;
		// x86_64 – 64-bit x86 architecture" —
		// https://docs.aws.amazon.com/lambda/latest/dg/foundation-arch.html
		Platforms: []string{"linux/amd64", "linux/arm64"},
		Layout:    layoutFor(LayoutLambda, pyver),
		// "Lambda loads the layer content into the /opt directory" —
		// https://docs.aws.amazon.com/lambda/latest/dg/packaging-layers.html
		MountPoint: "/opt",
		// The runtime's CPython, in the runtime image and in the SAM build
		// image (FROM the runtime image): /var/lang/bin, libraries in
		// /var/lang/lib — aws/aws-lambda-base-images branches python3.10 ...
		// python3.14, Dockerfile.python3.X (ENV PATH=/var/lang/bin:...,
		// LD_LIBRARY_PATH=/var/lang/lib:...); the SAM images add the OS
		// Python at /usr/bin/python3 (aws/aws-sam-build-images
		// build-image-src/Dockerfile-python3XX), which is not the runtime's.
		Python:      "/var/lang/bin/python" + pyver,
		BuildPython: "/var/lang/bin/python" + pyver,
		Env: map[string]string{
			// The runtime's environment as the base image sets it (same
			// Dockerfiles) and the managed runtime documents it: "PATH –
			// /var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin",
			// "LD_LIBRARY_PATH – /var/lang/lib:/lib64:/usr/lib64:/var/runtime:
			// /var/runtime/lib:/var/task:/var/task/lib:/opt/lib" —
			// https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime
			// (older text without /var/lang: awsdocs/aws-lambda-developer-guide
			// PR #89). TEST sets them over the image's config, so a stand-in
			// or an image that differs cannot make a test pass that fails on
			// Lambda.
			"PATH":               "/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin",
			"LD_LIBRARY_PATH":    "/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib",
			"LAMBDA_TASK_ROOT":   "/var/task",
			"LAMBDA_RUNTIME_DIR": "/var/runtime",
		},
		// sys.path: "By default, the runtime searches the $LAMBDA_TASK_ROOT
		// (/var/task) directory first", then the layer's site directories;
		// "Python 3.11 and later: ... /var/lang/lib/python3.11/site-packages
		// ... has precedence over /var/runtime"; "Python 3.8-3.10: ... The
		// /var/runtime directory has precedence over
		// /var/lang/lib/python3.x/site-packages" —
		// https://docs.aws.amazon.com/lambda/latest/dg/python-image.html and
		// python-package.html#python-package-searchpath (quoted order
		// ['/var/task', '/opt/python/lib/python3.13/site-packages',
		// '/opt/python', '/var/lang/lib/python3.13/site-packages',
		// '/var/runtime', ...]).
		SysPath: lambdaSysPath(pyver),
		// The system directories on LD_LIBRARY_PATH above (the runtime's
		// own /var/lang/lib is on it too).
		SysLibDirs: []string{"/lib64", "/usr/lib64"},
		Absent:     lambdaAbsent(osName),
		// "Deployment package (.zip) size: 50 MB (zipped, for direct upload);
		// 250 MB (unzipped) ... applies to all the files you upload, including
		// layers", MB = 1024² bytes — awsdocs doc_source/gettingstarted-limits.md.
		// The 50 MB applies to a zip uploaded directly; "Use Amazon S3 for
		// larger files" (API_AccountLimit CodeSizeZipped): a layer published
		// from S3 is bound by the 250 MB unzipped limit only. So only the
		// unzipped limit is enforced by default; the zipped size is
		// reported against the direct-upload limit (BUDGET zipped=50MB
		// enforces it for teams that upload directly).
		Limits: Limits{Unzipped: 250 << 20, DirectUpload: 50 << 20},
		// Deprecation and block dates: lambdaSupport (support.go).
		Support: lambdaSupport[pyver],
	}
}

// lambdaSysPath is the documented head of sys.path (see lambda).
func lambdaSysPath(pyver string) []string {
	site := "/var/lang/lib/python" + pyver + "/site-packages"
	head := []string{"/var/task", "/opt/python/lib/python" + pyver + "/site-packages", "/opt/python"}
	if pyver == "3.10" {
		return append(head, "/var/runtime", site)
	}
	return append(head, site, "/var/runtime")
}

// gcp builds a gcp-functions row for a stack ("google-22").
func gcp(pyver, stack, osName, glibc string) Runtime {
	id := "python" + strings.ReplaceAll(pyver, ".", "")
	return Runtime{
		Name:          id,
		PythonVersion: pyver,
		ABI:           abiFor(pyver),
		// REGION-docker.pkg.dev/serverless-runtimes/STACK/runtimes/RUNTIME_ID,
		// e.g. us-central1-docker.pkg.dev/serverless-runtimes/google-22-full/runtimes/python312
		// — https://docs.cloud.google.com/functions/1stgendocs/concepts/execution-environment
		RuntimeImage: "us-central1-docker.pkg.dev/serverless-runtimes/" + stack + "-full/runtimes/" + id,
		// Stack build images gcr.io/buildpacks/google-22/build and
		// gcr.io/buildpacks/google-24/build — GoogleCloudPlatform/buildpacks
		// stack READMEs (google.24 "Build Image"; google.22 builder.toml
		// build-image). They carry Ubuntu's own Python without pip, not the
		// runtime's: the buildpacks install that at build time. So BUILD,
		// BYTECODE and pip's resolver need TARGET --build-image.
		BuildImage:  "gcr.io/buildpacks/" + stack + "/build",
		BuildPython: "",
		// Where the runtime image keeps its CPython is not documented: the
		// image's PATH decides, and the frontend checks what it finds.
		Python: PythonOnPath,
		OS:     osName,
		Glibc:  glibc,
		// amd64 only. Cloud Run troubleshooting, quoted in pulumi/templates#490:
		// "If you build your container image on a ARM based machine, then it
		// might not work as expected when used with Cloud Run"
		// (https://cloud.google.com/run/docs/troubleshooting#container-failed-to-start);
		// GoogleCloudPlatform/jit-groups#270: "Cloud Run expects x64". The
		// container contract (https://cloud.google.com/run/docs/container-contract)
		// states x86_64 support; verify against the live page.
		Platforms: []string{"linux/amd64"},
		Layout:    layoutFor(LayoutGCP, pyver),
		// Cloud Native Buildpacks place the application source in /workspace
		// (inference: CNB platform default app directory).
		MountPoint: "/workspace",
		// No runtime PYTHONPATH/LD_LIBRARY_PATH documented for layers: the
		// function directory itself is importable (see LayoutGCP).
		Env:     map[string]string{},
		SysPath: []string{"/workspace"},
		// Ubuntu multiarch library directories (inference).
		SysLibDirs: []string{"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib", "/usr/lib"},
		// 1st gen: 100MB compressed / 500MB uncompressed; "2nd gen: N/A" —
		// https://docs.cloud.google.com/functions/quotas. Cloud Run: "no direct
		// limit for the size of container images" — https://cloud.google.com/run/quotas.
		Limits: Limits{},
	}
}

// azure builds an azure-functions row.
func azure(pyver, osName, glibc string) Runtime {
	image := "mcr.microsoft.com/azure-functions/python:4-python" + pyver
	return Runtime{
		Name:          "python" + pyver,
		PythonVersion: pyver,
		ABI:           abiFor(pyver),
		RuntimeImage:  image,
		// No separate build image is published; the runtime image carries
		// Python and pip ("Your dependencies must be built on an ubuntu
		// machine using the same python version as the production app" —
		// https://docs.azure.cn/en-us/azure-functions/python-build-options).
		BuildImage: image,
		// The image's PATH finds its CPython (the frontend checks it).
		Python:      PythonOnPath,
		BuildPython: PythonOnPath,
		OS:          osName,
		Glibc:       glibc,
		// Official images are linux/amd64 only: Azure/azure-functions-docker#224
		// (arm64 base image request, open) and #1092 ("the official Azure
		// Functions container images are published for linux/amd64").
		Platforms: []string{"linux/amd64"},
		Layout:    layoutFor(LayoutAzure, pyver),
		// Azure/azure-functions-python-worker python/prodV4/worker.py:
		// PKGS_PATH = "/home/site/wwwroot/.python_packages".
		MountPoint: "/home/site/wwwroot",
		Env: map[string]string{
			// Same worker.py: PYTHONPATH = "/home/site/wwwroot/.python_packages/lib/site-packages:<worker dir>";
			// only the packages part is fixed.
			"PYTHONPATH": "/home/site/wwwroot/.python_packages/lib/site-packages",
		},
		SysPath: []string{"/home/site/wwwroot/.python_packages/lib/site-packages"},
		// Debian multiarch library directories (inference).
		SysLibDirs: []string{"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib", "/usr/lib"},
		// No Python-specific package size cap is published (MicrosoftDocs/azure-docs
		// includes/functions-limits.md gives storage per plan only).
		Limits: Limits{},
	}
}

// Layout names accepted by ApplyOverrides (TARGET --layout).
const (
	LayoutLambda       = "lambda"
	LayoutSitePackages = "site-packages"
	LayoutAzure        = "azure"
	LayoutGCP          = "gcp"
)

// layoutFor returns the archive layout for a layout name and Python
// version; the zero Layout for an unknown name.
func layoutFor(name, pyver string) Layout {
	switch name {
	case LayoutLambda:
		// Python site directory python/lib/python3.x/site-packages, bin on
		// PATH, lib on LD_LIBRARY_PATH —
		// https://docs.aws.amazon.com/lambda/latest/dg/packaging-layers.html.
		// Data under python/: pip --target puts .data/data at the target root
		// (reference notes §1.2/§3.5, inference).
		return Layout{SitePackages: "python/lib/python" + pyver + "/site-packages", Bin: "bin", Lib: "lib", Data: "python"}
	case LayoutAzure:
		// "Dependencies must be installed in ./.python_packages/lib/site-packages" —
		// https://docs.azure.cn/en-us/azure-functions/python-build-options.
		// Nothing else of .python_packages is on PATH or LD_LIBRARY_PATH;
		// scripts and data stay inside it (inference).
		return Layout{SitePackages: ".python_packages/lib/site-packages", Bin: ".python_packages/bin", Data: ".python_packages"}
	case LayoutGCP:
		// Packages go at the root of the function source, next to main.py:
		// "Package local dependencies ... myfunction/ main.py localpackage/
		// ... from localpackage import script" —
		// https://cloud.google.com/functions/docs/writing/specifying-dependencies-python.
		// (GOOGLE_VENDOR_PIP_DEPENDENCIES, the other documented route, takes a
		// directory of wheels that pip installs at deploy time, not an
		// installed tree.)
		return Layout{SitePackages: ".", Bin: "bin", Data: "."}
	case LayoutSitePackages:
		// The archive root is a site-packages directory, as pip install
		// --target produces it.
		return Layout{SitePackages: ".", Bin: "bin", Data: "."}
	}
	return Layout{}
}

// mountPointFor is the default mount point of a layout for the custom profile.
func mountPointFor(layout string) string {
	switch layout {
	case LayoutLambda:
		return "/opt"
	case LayoutAzure:
		return "/home/site/wwwroot"
	case LayoutGCP:
		return "/workspace"
	}
	return ""
}

// lambdaAbsent: libraries the public Lambda base image carries that the
// real runtime lacks. "public.ecr.aws/lambda/python:3.12 contains
// libexpat.so.1, the real AL2023 runtime does not": rasterio/fiona wheels
// linking it failed at import on Lambda while an import test in the image
// passed (developmentseed/eoapi-cdk#181, Toblerity/Fiona#1078).
func lambdaAbsent(osName string) map[string]string {
	if osName != osAL2023 {
		return nil
	}
	return map[string]string{
		"libexpat.so.1": "present in the public.ecr.aws/lambda/python image but absent from the real AL2023 Lambda runtime (developmentseed/eoapi-cdk#181, Toblerity/Fiona#1078)",
	}
}
