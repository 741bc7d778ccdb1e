package report

// htmlSource is the page's templates: "head", one per section of
// htmlSections, and "foot".
const htmlSource = `
{{- define "head" -}}
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.}}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;background:#fff}
h1{font-size:1.4em;margin:0 0 .6em}
h2{font-size:1.1em;margin:1.6em 0 .5em}
dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em;margin:0}
dt{color:#666}
dd{margin:0;word-break:break-all}
.lim{margin:.7em 0;max-width:40em}
.bar{height:.8em;background:#e4e4e4;border-radius:3px;overflow:hidden}
.bar>div{height:100%;background:#3a8}
.bar>.warn{background:#d90}
.bar>.over{background:#c33}
table{border-collapse:collapse}
th,td{padding:.2em .7em;text-align:left;border-bottom:1px solid #ddd}
th{background:#f3f3f3}
.js th{cursor:pointer}
.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tfoot td{font-weight:600;border-top:2px solid #999}
.sw{display:inline-block;width:.8em;height:.8em;margin-right:.4em;border:1px solid #0003}
svg.tm{display:block;width:100%;max-width:1200px;height:auto;border:1px solid #bbb}
.tm rect{stroke:#fff;stroke-width:.5}
.tm .b{stroke:none}
.tm .o{fill:none;stroke:#222;stroke-width:1;stroke-dasharray:4 2}
.tm .d{fill:#ececec;stroke:#888}
.tm text{font:10px sans-serif;fill:#111;pointer-events:none}
.tm .h{font-weight:600}
.note{color:#555}
tbody.shared td{background:#f7f7f7}
.sw.st{border-color:#333}
ul.notes>li{margin:.2em 0}
details{margin:.2em 0 .4em}
summary{cursor:pointer;color:#555}
details li{font-size:.9em;word-break:break-all}
</style>
</head>
<body>
{{end}}

{{- define "summary" -}}
<h1>Layer report</h1>
<dl>
{{- range .Fields}}
<dt>{{.Name}}</dt><dd>{{.Value}}</dd>
{{- end}}
</dl>
{{- range .Limits}}
<div class="lim"><div>{{.Text}}</div>
{{- if .Width}}<div class="bar"><div class="{{.Class}}" style="width:{{.Width}}"></div></div>{{end}}</div>
{{- end}}
{{end}}

{{- define "packages" -}}
<h2>Packages</h2>
<table class="sort">
<thead><tr><th>Package</th><th>Version</th><th class="n">Files</th><th class="n" title="bytes only this package has, after deduplication">Alone</th><th class="n" title="share of the layer's unzipped size: the packages' own bytes and the shared groups add up to 100%">Share</th><th class="n" title="its copies of files other packages also have, each at its size; the layer stores them once, in the shared rows">Shared</th><th class="n" title="what the layer would lose, unzipped, without this package (for a shared row: without all of its packages)">Removing saves</th><th class="n" title="the same, in the zipped layer">zipped</th><th class="n">Strip saved</th></tr></thead>
<tbody>
{{- range .Rows}}
{{template "pkgrow" .}}
{{- end}}
</tbody>
{{- if .Shared}}
<tbody class="shared">
{{- range .Shared}}
{{template "pkgrow" .}}
{{- end}}
</tbody>
{{- end}}
<tfoot><tr><td>{{.Total.Name}}</td><td></td><td class="n">{{.Total.Files}}</td><td class="n">{{.Total.BytesText}}</td><td class="n">{{.Total.Share}}</td><td class="n"></td><td class="n"></td><td class="n"></td><td class="n">{{.Total.SavedText}}</td></tr></tfoot>
</table>
<p class="note">{{.Legend}}</p>
{{end}}

{{- define "pkgrow" -}}
<tr><td data-v="{{.Name}}">{{range .Swatches}}<span class="sw{{if $.Group}} st{{end}}" style="background:{{.}}"></span>{{end}}{{if .Wheel}}<span title="{{.Wheel}}">{{.Name}}</span>{{else}}{{.Name}}{{end}}</td><td>{{.Version}}</td><td class="n" data-v="{{.Files}}">{{.Files}}</td><td class="n" data-v="{{.Bytes}}"{{if .BytesTitle}} title="{{.BytesTitle}}"{{end}}>{{.BytesText}}</td><td class="n" data-v="{{.Bytes}}">{{.Share}}</td><td class="n" data-v="{{.SharedBytes}}"{{if .SharedTitle}} title="{{.SharedTitle}}"{{end}}>{{.SharedText}}</td><td class="n" data-v="{{.Removal}}">{{.RemovalText}}</td><td class="n" data-v="{{.RemovalZipped}}">{{.RemovalZippedText}}</td><td class="n" data-v="{{.Saved}}"{{if .StripTitle}} title="{{.StripTitle}}"{{end}}>{{.SavedText}}</td></tr>
{{- end}}

{{- define "treemap" -}}
<h2>Files</h2>
<p class="note">{{.Caption}}</p>
<svg class="tm" viewBox="0 0 {{.W}} {{.H}}" role="img" aria-label="Treemap of the layer's files by size">
{{- range .Cells}}
<g><title>{{.Title}}</title><rect{{if .Dir}} class="d"{{end}} x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}"{{if .Fill}} fill="{{.Fill}}"{{end}}/>
{{- range .Bands}}<rect class="b" x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}" fill="{{.Fill}}"/>{{end}}
{{- if .Bands}}<rect class="o" x="{{.X}}" y="{{.Y}}" width="{{.W}}" height="{{.H}}"/>{{end}}
{{- with .Label}}<text{{if .Head}} class="h"{{end}} x="{{.X}}" y="{{.Y}}">{{.Text}}</text>{{end}}</g>
{{- end}}
</svg>
{{end}}

{{- define "notes" -}}
<h2>Notes</h2>
<ul class="notes">
{{- range .}}
<li>{{.Text}}
{{- if .Details}}
<details><summary>{{len .Details}} {{if eq (len .Details) 1}}file{{else}}files{{end}}</summary>
<ul>
{{- range .Details}}
<li>{{.}}</li>
{{- end}}
</ul>
</details>
{{- end}}</li>
{{- end}}
</ul>
{{end}}

{{- define "foot" -}}
<script>
(function () {
  var tables = document.querySelectorAll("table.sort");
  for (var t = 0; t < tables.length; t++) {
    (function (table) {
      table.classList.add("js");
      var heads = table.tHead.rows[0].cells;
      for (var i = 0; i < heads.length; i++) {
        (function (th, col) {
          var dir = 0;
          th.addEventListener("click", function () {
            var num = th.classList.contains("n");
            dir = dir === 0 ? (num ? -1 : 1) : -dir;
            var body = table.tBodies[0];
            var rows = Array.prototype.slice.call(body.rows);
            rows.sort(function (x, y) {
              var a = x.cells[col].getAttribute("data-v") || x.cells[col].textContent;
              var b = y.cells[col].getAttribute("data-v") || y.cells[col].textContent;
              return dir * (num ? Number(a) - Number(b) : a.localeCompare(b));
            });
            rows.forEach(function (r) { body.appendChild(r); });
          });
        })(heads[i], i);
      }
    })(tables[t]);
  }
})();
</script>
</body>
</html>
{{end}}`
