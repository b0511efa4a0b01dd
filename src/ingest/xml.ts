import { XMLParser } from 'fast-xml-parser';

/**
 * The XML parser both arXiv formats (Atom and OAI-PMH) are read with: namespace
 * prefixes dropped, attributes kept as `@_name`, every value as text (ids like
 * `0704.0001` must not become numbers), numeric character references decoded,
 * and the named elements always arrays, however many there are.
 */
export function arxivXmlParser(arrays: ReadonlySet<string>): XMLParser {
  return new XMLParser({
    removeNSPrefix: true,
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    parseTagValue: false,
    parseAttributeValue: false,
    htmlEntities: true,
    ignoreDeclaration: true,
    ignorePiTags: true,
    isArray: (name, _path, _leaf, isAttribute) => !isAttribute && arrays.has(name),
  });
}
