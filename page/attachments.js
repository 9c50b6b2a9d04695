// Images attached to the next message: checked (type, size, count) before they are read as data URLs.
import { imageProblem, MAX_IMAGES } from "../client/src/index";

const MIB = 1024 * 1024;

function readDataUrl(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

/**
 * @param {HTMLElement} list where the thumbnails go
 * @param {() => any} texts the current UI texts
 * @param {(message: string) => void} onError
 */
export function createAttachments(list, texts, onError) {
  /** @type {{ name: string, type: string, dataUrl: string }[]} */
  let items = [];

  function render() {
    list.replaceChildren(
      ...items.map((item, index) => {
        const figure = document.createElement("figure");
        figure.className = "thumb";
        const img = document.createElement("img");
        img.src = item.dataUrl;
        img.alt = item.name;
        const remove = document.createElement("button");
        remove.type = "button";
        remove.className = "thumb-remove";
        remove.textContent = "×";
        remove.title = remove.ariaLabel = texts().removeImage;
        remove.onclick = () => {
          items.splice(index, 1);
          render();
        };
        figure.append(img, remove);
        return figure;
      }),
    );
    list.hidden = items.length === 0;
  }

  /** Adds the images among `files`; reports each refused one. */
  async function add(files) {
    const t = texts();
    const errors = [];
    for (const file of files) {
      const problem = imageProblem(file);
      if (problem === "type") errors.push(t.badType(file.name || file.type || "?"));
      else if (problem === "size") errors.push(t.tooBig(file.name, (file.size / MIB).toFixed(1)));
      else if (items.length >= MAX_IMAGES) errors.push(t.tooMany(MAX_IMAGES));
      else {
        try {
          items.push({ name: file.name || "image", type: file.type, dataUrl: await readDataUrl(file) });
        } catch {
          errors.push(t.readFailed(file.name));
        }
      }
    }
    render();
    onError(errors.join("\n"));
  }

  return {
    add,
    /** Re-renders in the current language (the remove buttons' labels). */
    relabel: render,
    get items() {
      return items;
    },
    clear() {
      items = [];
      render();
    },
  };
}
