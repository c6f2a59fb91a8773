package main

// `trivydb check`: compares a trivy JSON report of the fixture with its expected.json, so the
// DB, the fixture and trivy can be verified together from a shell (verify.sh).

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
)

type expectedFile struct {
	OS struct {
		Family string `json:"family"`
		Name   string `json:"name"`
	} `json:"os"`
	Results         map[string][]expectedResult `json:"results"`
	Vulnerabilities []expectedVuln              `json:"vulnerabilities"`
	NotReported     []struct {
		ID  string `json:"id"`
		Pkg string `json:"pkg"`
	} `json:"notReported"`
}

type expectedResult struct {
	Class  string `json:"class"`
	Type   string `json:"type"`
	Target string `json:"target"`
}

type expectedVuln struct {
	ID           string  `json:"id"`
	Pkg          string  `json:"pkg"`
	Class        string  `json:"class"`
	Installed    string  `json:"installed"`
	Fixed        string  `json:"fixed"`
	Status       string  `json:"status"`
	Severity     string  `json:"severity"`
	CVSSV3Score  float64 `json:"cvssV3Score"`
	CVSSV3Vector string  `json:"cvssV3Vector"`
	Title        string  `json:"title"`
}

type trivyReport struct {
	Metadata struct {
		OS *struct {
			Family string
			Name   string
		}
	}
	Results []struct {
		Target          string
		Class           string
		Type            string
		Vulnerabilities []struct {
			VulnerabilityID  string
			PkgName          string
			InstalledVersion string
			FixedVersion     string
			Status           string
			Severity         string
			Title            string
			CVSS             map[string]struct {
				V3Vector string
				V3Score  float64
			}
		}
	}
}

// checkReport returns the differences between a trivy report and expected.json.
func checkReport(expected expectedFile, report trivyReport, mode string, ignoreUnfixed bool) (found int, problems []string) {
	fail := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	if os := report.Metadata.OS; os == nil || os.Family != expected.OS.Family || os.Name != expected.OS.Name {
		fail("OS: got %+v, want %s %s", os, expected.OS.Family, expected.OS.Name)
	}
	resultOf := map[string]expectedResult{} // class -> expected result in this mode
	for _, r := range expected.Results[mode] {
		resultOf[r.Class] = r
	}
	if len(resultOf) == 0 {
		fail("expected.json has no results for mode %q", mode)
	}

	want := map[string]expectedVuln{}
	for _, v := range expected.Vulnerabilities {
		if ignoreUnfixed && v.Fixed == "" {
			continue
		}
		want[v.ID+" "+v.Pkg] = v
	}
	absent := map[string]bool{}
	for _, n := range expected.NotReported {
		absent[n.ID+" "+n.Pkg] = true
	}

	for _, r := range report.Results {
		for _, got := range r.Vulnerabilities {
			found++
			key := got.VulnerabilityID + " " + got.PkgName
			w, ok := want[key]
			switch {
			case absent[key]:
				fail("%s: reported but must not be", key)
				continue
			case !ok:
				fail("%s: reported but not in expected.json", key)
				continue
			}
			delete(want, key)
			wr := resultOf[w.Class]
			if r.Class != w.Class || r.Type != wr.Type || (wr.Target != "" && r.Target != wr.Target) {
				fail("%s: in result %q (%s/%s), want %s/%s %s", key, r.Target, r.Class, r.Type, w.Class, wr.Type, wr.Target)
			}
			if got.InstalledVersion != w.Installed || got.FixedVersion != w.Fixed || got.Status != w.Status || got.Severity != w.Severity {
				fail("%s: got installed=%q fixed=%q status=%q severity=%q, want %q %q %q %q", key,
					got.InstalledVersion, got.FixedVersion, got.Status, got.Severity, w.Installed, w.Fixed, w.Status, w.Severity)
			}
			if got.Title != w.Title {
				fail("%s: title %q, want %q", key, got.Title, w.Title)
			}
			if nvd := got.CVSS["nvd"]; nvd.V3Score != w.CVSSV3Score || nvd.V3Vector != w.CVSSV3Vector {
				fail("%s: nvd CVSS v3 %v %q, want %v %q", key, nvd.V3Score, nvd.V3Vector, w.CVSSV3Score, w.CVSSV3Vector)
			}
		}
	}
	var missing []string
	for key := range want {
		missing = append(missing, key)
	}
	sort.Strings(missing)
	for _, key := range missing {
		fail("%s: expected but not reported", key)
	}
	return found, problems
}

func cmdCheck(args []string) error {
	fs := newFlagSet("check")
	expectedPath := fs.String("expected", "", "the fixture's expected.json")
	mode := fs.String("mode", "image", "scan mode the report comes from: image or fs")
	ignoreUnfixed := fs.Bool("ignore-unfixed", false, "the report was made with --ignore-unfixed")
	_ = fs.Parse(args)
	if *expectedPath == "" || fs.NArg() != 1 {
		usage()
	}
	var expected expectedFile
	if err := readJSON(*expectedPath, &expected); err != nil {
		return err
	}
	var report trivyReport
	if err := readJSON(fs.Arg(0), &report); err != nil {
		return err
	}
	found, problems := checkReport(expected, report, *mode, *ignoreUnfixed)
	if len(problems) > 0 {
		return fmt.Errorf("%s does not match %s:\n  %s", fs.Arg(0), *expectedPath, strings.Join(problems, "\n  "))
	}
	fmt.Printf("ok: %d vulnerabilities as expected (mode %s, ignore-unfixed %v)\n", found, *mode, *ignoreUnfixed)
	return nil
}

func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}
