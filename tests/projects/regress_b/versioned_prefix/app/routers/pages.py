from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter()


@router.get("/{full_path:path}", response_class=HTMLResponse)
def single_page_app(full_path: str) -> str:
    """The front end: any other path answers index.html."""
    return "<html>index</html>"
