"""The PDF of a procedural act: snapshot → layout (data, templates/acts/) → reportlab → bytes.

``snapshot`` freezes what an act prints at approval; ``layout`` renders the act type's
template in the act's language into a small line markup; ``markup`` turns that into
reportlab flowables; ``document`` lays them out with the page chrome (header, "page X of
Y", QR code) and returns the bytes; ``storage`` keeps signed PDFs content-addressed.
Nothing here reads the clock: the same snapshot gives the same bytes.
"""
