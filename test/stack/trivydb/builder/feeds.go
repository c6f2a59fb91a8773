package main

// Writes the advisories as the upstream feeds trivy-db's own build reads (the vuln-list
// mirrors and the GitHub advisory database), so the DB is made by trivy-db's real parsers.

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	gocvss31 "github.com/pandatix/go-cvss/31"
)

// feedSources are the trivy-db data sources the feeds feed, in trivy-db's build order.
var feedSources = []string{"nvd", "redhat", "alpine", "ghsa"}

func referenceURL(id string) string {
	// .invalid is reserved (RFC 2606): the link can never point at a real page.
	return "https://kubeline.invalid/advisories/" + id
}

// fictionalGHSAID gives the GitHub advisory its own (equally fictional) identifier.
func fictionalGHSAID(cveID string) string {
	return "GHSA-fake-" + strings.TrimPrefix(cveID, "CVE-")
}

// cvssV3 computes the base score of the vector and checks it against the stated severity.
func cvssV3(a advisory) (float64, error) {
	v, err := gocvss31.ParseVector(a.CVSSVector)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", a.ID, err)
	}
	score := v.BaseScore()
	if rating := cvssRating(score); rating != a.Severity {
		return 0, fmt.Errorf("%s: severity %s does not match CVSS score %.1f (%s)", a.ID, a.Severity, score, rating)
	}
	return score, nil
}

func cvssRating(score float64) string {
	switch {
	case score >= 9.0:
		return "CRITICAL"
	case score >= 7.0:
		return "HIGH"
	case score >= 4.0:
		return "MEDIUM"
	case score > 0:
		return "LOW"
	}
	return "NONE"
}

func writeFeeds(root string) error {
	bySecdbPkg := map[string]map[string][]string{} // alpine package -> fixed version -> IDs
	for _, a := range advisories {
		score, err := cvssV3(a)
		if err != nil {
			return err
		}
		if err := writeJSON(filepath.Join(root, "vuln-list-nvd", "api", "2099", a.ID+".json"), nvdCVE(a, score)); err != nil {
			return err
		}
		switch a.Ecosystem {
		case ecoAlpine:
			// Red Hat's CVE feed is where trivy's upstream DB gets titles of CVEs in OS packages.
			if err := writeJSON(filepath.Join(root, "vuln-list-redhat", "api", "2099", a.ID+".json"), redHatCVE(a, score)); err != nil {
				return err
			}
			if a.Fixed == "" {
				return fmt.Errorf("%s: Alpine's secdb only lists fixed versions", a.ID)
			}
			if bySecdbPkg[a.Package] == nil {
				bySecdbPkg[a.Package] = map[string][]string{}
			}
			bySecdbPkg[a.Package][a.Fixed] = append(bySecdbPkg[a.Package][a.Fixed], a.ID)
		case ecoPip:
			id := fictionalGHSAID(a.ID)
			path := filepath.Join(root, "ghsa", "advisories", "github-reviewed", "2099", "01", id, id+".json")
			if err := writeJSON(path, ghsaOSV(a)); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%s: unknown ecosystem %q", a.ID, a.Ecosystem)
		}
	}
	for pkg, secfixes := range bySecdbPkg {
		path := filepath.Join(root, "vuln-list", "alpine", alpineRelease, "main", pkg+".json")
		if err := writeJSON(path, alpineSecdb(pkg, secfixes)); err != nil {
			return err
		}
	}
	// trivy-db's GHSA source also walks the CocoaPods specs; it must exist, even empty.
	return os.MkdirAll(filepath.Join(root, "cocoapods-specs", "Specs"), 0o755)
}

func description(a advisory) string { return a.Description + " " + fictionalNote }

// nvdCVE is one record of the NVD CVE API 2.0 (as mirrored in aquasecurity/vuln-list-nvd).
func nvdCVE(a advisory, score float64) any {
	ts := a.Published.UTC().Format("2006-01-02T15:04:05.000")
	return map[string]any{
		"id":           a.ID,
		"published":    ts,
		"lastModified": ts,
		"vulnStatus":   "Analyzed",
		"descriptions": []any{map[string]any{"lang": "en", "value": description(a)}},
		"metrics": map[string]any{
			"cvssMetricV31": []any{map[string]any{
				"source": "nvd@nist.gov",
				"type":   "Primary",
				"cvssData": map[string]any{
					"version":      "3.1",
					"vectorString": a.CVSSVector,
					"baseScore":    score,
					"baseSeverity": a.Severity,
				},
			}},
		},
		"weaknesses": []any{map[string]any{
			"source":      "nvd@nist.gov",
			"type":        "Primary",
			"description": []any{map[string]any{"lang": "en", "value": a.CWE}},
		}},
		"references": []any{map[string]any{"url": referenceURL(a.ID), "source": "kubeline"}},
	}
}

// redHatCVE is one record of Red Hat's security data API (as in aquasecurity/vuln-list-redhat).
func redHatCVE(a advisory, score float64) any {
	threat := map[string]string{"CRITICAL": "Critical", "HIGH": "Important", "MEDIUM": "Moderate", "LOW": "Low"}[a.Severity]
	return map[string]any{
		"name":            a.ID,
		"threat_severity": threat,
		"public_date":     a.Published.UTC().Format(time.RFC3339),
		"bugzilla": map[string]any{
			"description": a.ID + " " + a.Title,
			"id":          "0",
			"url":         referenceURL(a.ID),
		},
		"cvss3": map[string]any{
			"cvss3_base_score":     fmt.Sprintf("%.1f", score),
			"cvss3_scoring_vector": a.CVSSVector,
			"status":               "verified",
		},
		"cwe":        a.CWE,
		"details":    []string{description(a)},
		"references": []string{referenceURL(a.ID)},
	}
}

// alpineSecdb is one package of Alpine's secdb (as in aquasecurity/vuln-list/alpine).
func alpineSecdb(pkg string, secfixes map[string][]string) any {
	for _, ids := range secfixes {
		sort.Strings(ids)
	}
	return map[string]any{
		"name":          pkg,
		"secfixes":      secfixes,
		"apkurl":        "{{urlprefix}}/{{distroversion}}/{{reponame}}/{{arch}}/{{pkg.name}}-{{pkg.ver}}.apk",
		"archs":         []string{"x86_64", "aarch64"},
		"urlprefix":     "https://kubeline.invalid/alpine",
		"reponame":      "main",
		"distroversion": "v" + alpineRelease,
	}
}

// ghsaOSV is one GitHub-reviewed advisory in OSV format (github/advisory-database).
func ghsaOSV(a advisory) any {
	events := []any{map[string]string{"introduced": a.Introduced}}
	if a.Fixed != "" {
		events = append(events, map[string]string{"fixed": a.Fixed})
	}
	ghsaSeverity := map[string]string{"CRITICAL": "CRITICAL", "HIGH": "HIGH", "MEDIUM": "MODERATE", "LOW": "LOW"}[a.Severity]
	ts := a.Published.UTC().Format(time.RFC3339)
	return map[string]any{
		"schema_version": "1.4.0",
		"id":             fictionalGHSAID(a.ID),
		"modified":       ts,
		"published":      ts,
		"aliases":        []string{a.ID},
		"summary":        a.Title,
		"details":        description(a),
		"severity":       []any{map[string]string{"type": "CVSS_V3", "score": a.CVSSVector}},
		"affected": []any{map[string]any{
			"package": map[string]string{"ecosystem": "PyPI", "name": a.Package},
			"ranges":  []any{map[string]any{"type": "ECOSYSTEM", "events": events}},
		}},
		"references": []any{map[string]string{"type": "ADVISORY", "url": referenceURL(a.ID)}},
		"database_specific": map[string]any{
			"cwe_ids":         []string{a.CWE},
			"severity":        ghsaSeverity,
			"github_reviewed": true,
		},
	}
}

func writeJSON(path string, v any) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}
