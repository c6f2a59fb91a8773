package main

import "time"

// Every advisory here is FICTIONAL: IDs live in the year 2099 so nobody mistakes them for
// real CVEs. They exist only so kubeline's tests can scan the fixture image in
// test/fixtures/vuln-image with the real trivy against a real (tiny) trivy DB.
const fictionalNote = "FICTIONAL advisory made up for kubeline's tests (test/stack/trivydb); " +
	"it describes no real software and no real vulnerability."

// Ecosystems of the fixture: Alpine OS packages (apk) and Python packages (pip).
const (
	ecoAlpine = "alpine"
	ecoPip    = "pip"
)

// alpineRelease is the Alpine branch whose secdb the advisories are filed under; the fixture's
// /etc/alpine-release must be on this branch (3.22 is supported by trivy until 2027-04-30).
const alpineRelease = "3.22"

// advisory is one fictional vulnerability of one package, in a shape from which the upstream
// feed formats (NVD API, Red Hat CVE API, Alpine secdb, GitHub advisory OSV) are written.
type advisory struct {
	ID        string
	Ecosystem string
	Package   string
	// Introduced is the first affected version (pip only; "0" = all versions before Fixed).
	Introduced string
	// Fixed is the first fixed version; "" means no fix exists yet (pip only: Alpine's
	// secdb lists fixed versions only).
	Fixed       string
	Severity    string // must match the CVSS v3 base score's rating; checked at build time
	CVSSVector  string // CVSS v3.1 base vector; the score is computed from it
	CWE         string
	Title       string
	Description string
	Published   time.Time
}

func day(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

var advisories = []advisory{
	{
		ID: "CVE-2099-0001", Ecosystem: ecoAlpine, Package: "fixture-ssl", Fixed: "3.1.1-r0",
		Severity: "CRITICAL", CVSSVector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", CWE: "CWE-787",
		Title:       "fixture-ssl: heap overflow in handshake parser allows remote code execution",
		Description: "An out-of-bounds write in the handshake parser of fixture-ssl before 3.1.1-r0 lets a remote unauthenticated peer execute code.",
		Published:   day("2099-01-10"),
	},
	{
		ID: "CVE-2099-0002", Ecosystem: ecoAlpine, Package: "fixture-xml", Fixed: "2.12.5-r0",
		Severity: "HIGH", CVSSVector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", CWE: "CWE-776",
		Title:       "fixture-xml: entity expansion causes denial of service",
		Description: "Recursive entity expansion in fixture-xml before 2.12.5-r0 exhausts memory when parsing a crafted document.",
		Published:   day("2099-01-11"),
	},
	{
		ID: "CVE-2099-0003", Ecosystem: ecoAlpine, Package: "fixture-zlib", Fixed: "1.3.1-r0",
		Severity: "MEDIUM", CVSSVector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N", CWE: "CWE-125",
		Title:       "fixture-zlib: out-of-bounds read in inflate",
		Description: "An out-of-bounds read in inflate of fixture-zlib before 1.3.1-r0 discloses a few bytes of heap memory.",
		Published:   day("2099-01-12"),
	},
	{
		ID: "CVE-2099-0004", Ecosystem: ecoAlpine, Package: "fixture-curl", Fixed: "8.9.1-r0",
		Severity: "LOW", CVSSVector: "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:N/A:N", CWE: "CWE-200",
		Title:       "fixture-curl: proxy credentials leak in verbose log",
		Description: "fixture-curl before 8.9.1-r0 writes proxy credentials to its verbose log under rare timing conditions.",
		Published:   day("2099-01-13"),
	},
	{
		ID: "CVE-2099-0005", Ecosystem: ecoPip, Package: "fixture-requests", Introduced: "0", Fixed: "2.31.0",
		Severity: "MEDIUM", CVSSVector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", CWE: "CWE-79",
		Title:       "fixture-requests: cross-site scripting in HTML error pages",
		Description: "fixture-requests before 2.31.0 echoes request parameters unescaped into its HTML error pages.",
		Published:   day("2099-01-14"),
	},
	{
		ID: "CVE-2099-0006", Ecosystem: ecoPip, Package: "fixture-yaml", Introduced: "0", Fixed: "",
		Severity: "HIGH", CVSSVector: "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H", CWE: "CWE-502",
		Title:       "fixture-yaml: unsafe deserialization in load() (no fix available)",
		Description: "fixture-yaml's load() constructs arbitrary objects from tagged documents. No fixed version exists.",
		Published:   day("2099-01-15"),
	},
	// Negative controls: the fixture has versions outside these ranges, so trivy must NOT report them.
	{
		ID: "CVE-2099-0007", Ecosystem: ecoAlpine, Package: "fixture-base", Fixed: "1.0.0-r1",
		Severity: "HIGH", CVSSVector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", CWE: "CWE-22",
		Title:       "fixture-base: path traversal in config loader (fixed before the fixture's version)",
		Description: "fixture-base before 1.0.0-r1 follows ../ sequences in include paths.",
		Published:   day("2099-01-16"),
	},
	{
		ID: "CVE-2099-0008", Ecosystem: ecoPip, Package: "fixture-requests", Introduced: "1.0.0", Fixed: "2.0.0",
		Severity: "CRITICAL", CVSSVector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", CWE: "CWE-94",
		Title:       "fixture-requests: code injection in 1.x (fixed before the fixture's version)",
		Description: "fixture-requests 1.x evaluates header values as templates.",
		Published:   day("2099-01-17"),
	},
}
