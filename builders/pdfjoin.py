"""Join separately rendered PDF parts into one: pages in order, one outline, one set of named
destinations, links across parts, one structure tree, and page footers drawn on every page."""
from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import pikepdf
from pikepdf import Array, Dictionary, Name, Pdf, String

FOOTER = Name("/StudykitFooter")  # the footer form's name in a page's resources


@dataclass(frozen=True)
class Layout:
    """What the join, and the contents of the next render, need to know about a rendered part."""

    pages: int
    anchors: dict[str, int]  # anchor name -> page index in the part
    # The structure elements the join changes, by object number and generation: those whose
    # parent is the part's Document element (they get the joined one), and those with a table
    # header id or naming one (the ids are made unique across parts). Finding them means looking
    # at every object of the part, so it is done once per part, with its layout.
    adopted: tuple[tuple[int, int], ...] = ()
    headed: tuple[tuple[int, int], ...] = ()


def layout(data: bytes) -> Layout:
    """A rendered part's page count, the page of each of its anchors (its named destinations),
    and the structure elements the join changes."""
    with Pdf.open(io.BytesIO(data)) as pdf:
        index = {page.objgen: i for i, page in enumerate(pdf.pages)}
        anchors = {name: index[dest[0].objgen] for name, dest in _destinations(pdf)}
        return Layout(len(pdf.pages), anchors, *_structure_elements(pdf))


def _structure_elements(pdf: Pdf) -> tuple[tuple, tuple]:
    """(adopted, headed) of Layout. The children of the Document element include the elements
    WeasyPrint made for margin boxes, outside the tree (only the parent tree names them)."""
    root = pdf.Root.get("/StructTreeRoot")
    if root is None:
        return (), ()
    document = root.K[0].objgen
    adopted, headed = [], []
    for obj in pdf.objects:
        if isinstance(obj, Dictionary) and "/P" in obj and "/S" in obj:
            if obj.P.objgen == document:
                adopted.append(obj.objgen)
            attributes = obj.get("/A")
            if "/ID" in obj or (isinstance(attributes, Dictionary) and "/Headers" in attributes):
                headed.append(obj.objgen)
    return tuple(adopted), tuple(headed)


def _destinations(pdf: Pdf) -> list[tuple[str, Array]]:
    names = pdf.Root.get("/Names")
    if names is None or "/Dests" not in names:
        return []
    return [(str(name), dest) for name, dest in pikepdf.NameTree(names.Dests).items()]


def join(parts: list[bytes], layouts: list[Layout], footers: bytes, xref: str) -> bytes:
    """One PDF from `parts` (WeasyPrint outputs, tagged, the first one giving the catalog and the
    document information; `layouts` are theirs) and `footers` (a PDF with a page per joined page
    whose drawing goes on top of that page: the running footers, which need the final page
    numbers). A link to a URI `xref` + NAME becomes a link to the destination NAME (an anchor in
    another part)."""
    out = Pdf.open(io.BytesIO(parts[0]))
    sources = [out] + [Pdf.open(io.BytesIO(data)) for data in parts[1:]]
    try:
        counts = [len(source.pages) for source in sources]
        starts = [sum(counts[:i]) for i in range(len(counts))]
        indexes = [{page.objgen: start + i for i, page in enumerate(source.pages)}
                   for source, start in zip(sources, starts)]
        with warnings.catch_warnings():  # destinations, which it means, are joined below
            warnings.simplefilter("ignore", pikepdf.PageCopyWarning)  # type: ignore[attr-defined]
            for source in sources[1:]:
                out.pages.extend(source.pages)
        pages = [page.obj for page in out.pages]
        _join_destinations(out, sources, indexes, pages)
        _join_outlines(out, sources, indexes, pages)
        _join_structure(out, sources, layouts, starts, counts, pages)
        _link_across_parts(out, xref)
        _draw_footers(out, footers)
        buffer = io.BytesIO()
        out.save(buffer, deterministic_id=True, compress_streams=True,
                 object_stream_mode=pikepdf.ObjectStreamMode.generate)
        return buffer.getvalue()
    finally:
        for source in sources:
            source.close()


def _native(out: Pdf, source: Pdf, obj):  # noqa: ANN001, ANN202 - any PDF object
    """`obj` of `source` as an object of `out` (copied once; pages map to their copies)."""
    return obj if source is out else out.copy_foreign(obj)


def _join_destinations(out: Pdf, sources: list[Pdf], indexes: list[dict], pages: list) -> None:
    """All parts' named destinations in one sorted name array, as WeasyPrint writes it."""
    found = []
    for source, index in zip(sources, indexes):
        for name, dest in _destinations(source):
            found.append((name, index[dest[0].objgen], dest[2], dest[3]))
    if not found:
        return
    names = Array()
    for name, page, x, y in sorted(found, key=lambda item: item[0]):
        names.append(String(name))
        names.append(Array([pages[page], Name.XYZ, x, y, 0]))
    if "/Names" not in out.Root:
        out.Root.Names = Dictionary()
    out.Root.Names.Dests = Dictionary(Names=names)


def _outline_items(source: Pdf, index: dict) -> list[tuple]:
    """A part's outline as [(title, page, x, y, children, closed)]."""
    def items(first) -> list[tuple]:  # noqa: ANN001
        found, item = [], first
        while item is not None:
            dest = item.Dest
            children = items(item.get("/First"))
            found.append((item.Title, index[dest[0].objgen], dest[2], dest[3], children, int(item.get("/Count", 0)) < 0))
            item = item.get("/Next")
        return found

    outlines = source.Root.get("/Outlines")
    return items(outlines.get("/First")) if outlines is not None else []


def _join_outlines(out: Pdf, sources: list[Pdf], indexes: list[dict], pages: list) -> None:
    """The parts' outlines one after the other, written as WeasyPrint writes one (anchors.add_outlines)."""
    items = [item for source, index in zip(sources, indexes) for item in _outline_items(source, index)]

    def write(entries: list[tuple], parent) -> tuple[list, int]:  # noqa: ANN001
        count, written = len(entries), []
        for title, page, x, y, children, closed in entries:
            outline = out.make_indirect(Dictionary(Title=title, Dest=Array([pages[page], Name.XYZ, x, y, 0])))
            kids, kids_count = write(children, outline)
            outline.Count = -kids_count if closed else kids_count
            if not closed:
                count += kids_count
            if written:
                outline.Prev = written[-1]
                written[-1].Next = outline
            if kids:
                outline.First, outline.Last = kids[0], kids[-1]
            if parent is not None:
                outline.Parent = parent
            written.append(outline)
        return written, count

    top, count = write(items, None)
    if "/Outlines" in out.Root:
        del out.Root.Outlines
    if top:
        root = out.make_indirect(Dictionary(Count=count, First=top[0], Last=top[-1]))
        for outline in top:
            outline.Parent = root
        out.Root.Outlines = root


def _join_structure(out: Pdf, sources: list[Pdf], layouts: list[Layout], starts: list[int], counts: list[int],
                    pages: list) -> None:
    """One structure tree: the Document element of each part's tree, its children one after the
    other under a single Document; page keys of the parent tree renumbered to the joined page
    numbers, annotation keys after them (as WeasyPrint numbers them), and table header ids made
    unique across parts."""
    total = len(pages)
    document = out.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Document, K=Array()))
    parent_tree = out.make_indirect(Dictionary(Nums=Array()))
    page_nums, annotation_nums = [], []
    next_annotation = total
    for number, (source, found, start, count) in enumerate(zip(sources, layouts, starts, counts)):
        # The part's Document element is dropped: its children (see Layout.adopted) get the new one.
        children = [source.get_object(objgen) for objgen in found.adopted]
        _unique_header_ids([source.get_object(objgen) for objgen in found.headed], f"p{number}-")
        tree = _native(out, source, source.Root.StructTreeRoot)  # copied whole, pages mapped to their copies
        for child in children:
            _native(out, source, child).P = document
        document.K.extend(tree.K[0].K)
        annotation_keys = {}
        nums = tree.ParentTree.Nums
        for i in range(0, len(nums), 2):
            key, value = int(nums[i]), nums[i + 1]
            if key < count:
                page_nums.append((start + key, value))
            else:
                annotation_keys[key] = next_annotation
                annotation_nums.append((next_annotation, value))
                next_annotation += 1
        for i in range(count):
            page = pages[start + i]
            page.StructParents = start + i
            for annotation in page.get("/Annots", ()):
                if "/StructParent" in annotation:
                    annotation.StructParent = annotation_keys[int(annotation.StructParent)]
    for key, value in page_nums + annotation_nums:
        parent_tree.Nums.append(key)
        parent_tree.Nums.append(value)
    root = out.make_indirect(Dictionary(Type=Name.StructTreeRoot, K=Array([document]), ParentTree=parent_tree))
    document.P = root
    first = out.Root.StructTreeRoot  # the first part's: its namespace (WeasyPrint always names PDF 2.0's)
    if "/Namespaces" in first:
        root.Namespaces = first.Namespaces
    if "/NS" in first.K[0]:
        document.NS = first.K[0].NS
    out.Root.StructTreeRoot = root


def _unique_header_ids(elements: list, prefix: str) -> None:
    """Table header cells have ids (and data cells name them) made from the part's object numbers,
    which repeat from part to part: prefix them with the part's number (in the part, before its
    tree is copied)."""
    for element in elements:
        if "/ID" in element:
            element.ID = String(prefix + str(element.ID))
        attributes = element.get("/A")
        if isinstance(attributes, Dictionary) and "/Headers" in attributes:
            attributes.Headers = Array([String(prefix + str(h)) for h in attributes.Headers])


def _link_across_parts(out: Pdf, xref: str) -> None:
    """Links a part wrote as URIs `xref` + NAME become links to the named destination NAME."""
    for page in out.pages:
        for annotation in page.obj.get("/Annots", ()):
            action = annotation.get("/A")
            if action is not None and action.get("/S") == Name.URI and str(action.URI).startswith(xref):
                name = str(action.URI)[len(xref):]
                del annotation.A
                annotation.Dest = String(name)
                annotation.Contents = String(name)


def _draw_footers(out: Pdf, footers: bytes) -> None:
    """Draw each page of `footers` over the joined page of the same number, as a pagination
    artifact (the running footer is not part of the structure tree)."""
    with Pdf.open(io.BytesIO(footers)) as source:
        if len(source.pages) != len(out.pages):
            raise ValueError(f"{len(source.pages)} footer pages for {len(out.pages)} pages")
        for page, footer in zip(out.pages, source.pages):
            if b"BT" not in footer.obj.Contents.read_bytes():
                continue  # nothing drawn (the cover)
            form = out.copy_foreign(source.make_indirect(footer.as_form_xobject()))
            resources = Dictionary({key: value for key, value in page.obj.Resources.items()})
            xobjects = resources.get("/XObject")
            resources.XObject = Dictionary({key: value for key, value in xobjects.items()} if xobjects is not None else {})
            resources.XObject[FOOTER] = form
            page.obj.Resources = resources
            page.contents_add(out.make_stream(b"q\n"), prepend=True)
            page.contents_add(out.make_stream(
                b"Q\n/Artifact <</Type /Pagination /Subtype /Footer>> BDC\nq " + FOOTER.unparse() + b" Do Q\nEMC\n"))
