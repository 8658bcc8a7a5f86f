// the project's own front end calls the paths as they are
export const listItems = () => fetch("/api/v1/getItems").then((r) => r.json());
export const readItem = (id) => fetch(`/api/v1/item/${id}`).then((r) => r.json());
