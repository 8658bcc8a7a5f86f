from fastapi import Depends, FastAPI, Header, HTTPException

app = FastAPI()
POSTS = {1: {"id": 1, "title": "hello", "author": "ada"}}


def get_user(authorization: str = Header(default="")) -> str:
    if authorization != "Bearer ada":
        raise HTTPException(status_code=401, detail="Not authenticated")
    return "ada"


def get_active_user(user: str = Depends(get_user)) -> str:
    return user


def find_post(post_id: int):
    return POSTS.get(post_id)


@app.get("/posts/{post_id}")
def read_post(post_id: int, user: str = Depends(get_user)):
    post = find_post(post_id)
    if post is None:
        raise HTTPException(status_code=404, detail="Post not found")
    return post


@app.put("/posts/{post_id}")
def rename_post(post_id: int, title: str, user: str = Depends(get_active_user)):
    post = find_post(post_id)
    if post is None:
        raise HTTPException(status_code=404, detail="Post not found")
    return {**post, "title": title}


@app.delete("/posts/{post_id}", dependencies=[Depends(get_user)])
def delete_post(post_id: int):
    post = find_post(post_id)
    if post is None:
        raise HTTPException(status_code=404, detail="Post not found")
    return {"deleted": post["id"]}


@app.get("/drafts/{post_id}")
def read_draft(post_id: int, user: str = Depends(get_user)):
    if user != "editor":
        raise HTTPException(status_code=403, detail="Editors only")
    post = find_post(post_id)
    if post is None:
        raise HTTPException(status_code=404, detail="Post not found")
    return post


@app.delete("/drafts/{post_id}")
def delete_draft(post_id: int, user: str = Depends(get_user)):
    if user != "editor":
        raise HTTPException(status_code=403, detail="Editors only")
    post = find_post(post_id)
    if post is None:
        raise HTTPException(status_code=404, detail="Post not found")
    return {"deleted": post["id"]}
