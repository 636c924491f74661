/**
 * Which boxes receive a registration. The default, `source`, pushes it to the box that saw the
 * face: that box asked for it (want_action) and is the one where the person will be seen again.
 * `site` pushes it to every box of the source box's site (so a stranger registered at one
 * entrance is known at the others); a box in no site gets it alone. `list` pushes every
 * registration to a fixed list of boxes (a small deployment, one group of boxes).
 */
export type TargetPolicy = { kind: 'source' } | { kind: 'site'; sites: ReadonlyMap<string, readonly string[]> } | { kind: 'list'; boxes: readonly string[] };

const BOX = /^[A-Za-z0-9._:-]{1,128}$/;

/** The target boxes of a command seen by `sourceBox`, each once, the source first when it is one. */
export function targetBoxes(policy: TargetPolicy, sourceBox: string): string[] {
  switch (policy.kind) {
    case 'source':
      return [sourceBox];
    case 'site': {
      const site = policy.sites.get(sourceBox);
      return site ? [sourceBox, ...site.filter((box) => box !== sourceBox)] : [sourceBox];
    }
    case 'list':
      return [...new Set(policy.boxes)];
  }
}

/**
 * `siteA=DEV1 DEV2 DEV3;siteB=DEV4 DEV5` (boxes separated by blanks or `|`) -> each box mapped
 * to the boxes of its site. A box in two sites is an error: which site's boxes would it mean?
 */
export function parseSites(text: string): Map<string, string[]> {
  const byBox = new Map<string, string[]>();
  for (const entry of text.split(';').map((part) => part.trim()).filter(Boolean)) {
    const eq = entry.indexOf('=');
    const site = entry.slice(0, eq).trim();
    if (eq <= 0 || site === '') throw new Error(`site entry "${entry}" must be name=BOX BOX...`);
    const boxes = entry.slice(eq + 1).split(/[\s|]+/).filter(Boolean);
    if (boxes.length === 0) throw new Error(`site "${site}" lists no box`);
    for (const box of boxes) {
      if (!BOX.test(box)) throw new Error(`site "${site}": "${box}" is not a box serial number`);
      if (byBox.has(box)) throw new Error(`box ${box} is in more than one site`);
      byBox.set(box, boxes);
    }
  }
  return byBox;
}
